// CloudFront Function (viewer request): a prerendered page is <path>/index.html in the bucket.
// "/" and "/x/" become "/index.html" and "/x/index.html"; "/x", whose last segment has no file
// extension, becomes "/x/index.html". Files ("/assets/app-1a2b3c.js", "/config.json") pass.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith('/')) {
    request.uri = uri + 'index.html';
  } else if (uri.split('/').pop().indexOf('.') === -1) {
    request.uri = uri + '/index.html';
  }
  return request;
}
