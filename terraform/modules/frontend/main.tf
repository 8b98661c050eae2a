# The static frontend: a private S3 bucket read only by CloudFront (origin access control),
# HTTPS only, with a security headers policy on every response: a strict Content-Security-Policy
# (scripts and styles from the site only, no inline script; `connect-src` the site and the
# given API origins only). The local gateway serves the same policy with the API origins removed
# (local::site::CONTENT_SECURITY_POLICY, same origin there): local/tests/it/iac.rs checks it.

resource "aws_s3_bucket" "site" {
  #checkov:skip=CKV_AWS_145:public static files read by CloudFront through OAC; SSE-S3 avoids a KMS key policy that would depend on the distribution
  bucket_prefix = "${var.name}-site-"
  force_destroy = !var.protect
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "site" {
  bucket = aws_s3_bucket.site.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_logging" "site" {
  bucket        = aws_s3_bucket.site.id
  target_bucket = var.access_logs_bucket_id
  target_prefix = "s3/site/"
}

resource "aws_s3_bucket_versioning" "site" {
  bucket = aws_s3_bucket.site.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "site" {
  bucket = aws_s3_bucket.site.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "site" {
  bucket = aws_s3_bucket.site.id
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_cloudfront_origin_access_control" "site" {
  name                              = "${var.name}-site"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "security" {
  name = "${var.name}-security-headers"
  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
    content_security_policy {
      content_security_policy = "default-src 'self'; connect-src 'self' ${var.api_origins}; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
      override                = true
    }
  }
}

# Prerendered pages live at <path>/index.html in the bucket: "/x/" and "/x" (no file extension)
# are asked of S3 as "/x/index.html". Files pass unchanged.
resource "aws_cloudfront_function" "index" {
  name    = "${var.name}-index"
  comment = "Directory paths to their prerendered index.html"
  runtime = "cloudfront-js-2.0"
  publish = true
  code    = file("${path.module}/index.js")
}

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

resource "aws_cloudfront_distribution" "site" {
  #checkov:skip=CKV_AWS_174:the default *.cloudfront.net certificate fixes the TLS policy; set a custom domain and certificate to choose TLSv1.2_2021
  #checkov:skip=CKV2_AWS_42:no custom domain yet: the default cloudfront.net certificate is valid HTTPS
  #checkov:skip=CKV_AWS_374:the goal tracker serves every country
  #checkov:skip=CKV_AWS_310:one S3 origin; S3 is regional and highly available, a failover bucket would double the deploy for no gain here
  #checkov:skip=CKV2_AWS_47:no WAF web ACL by default (web_acl_arn variable); static files only, no Log4j surface
  enabled             = true
  comment             = "${var.name} frontend"
  default_root_object = "index.html"
  price_class         = "PriceClass_100"
  http_version        = "http2and3"
  web_acl_id          = var.web_acl_arn

  origin {
    origin_id                = "site"
    domain_name              = aws_s3_bucket.site.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.site.id
  }

  default_cache_behavior {
    target_origin_id           = "site"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.index.arn
    }
  }

  # A missing object is a 404 (S3 answers 403 to CloudFront: it may not list the bucket) with
  # the app's page as its body, so a mistyped path still shows the app; the status stays 404 so
  # a missing asset or config.json is never mistaken for a page (the site then falls back to
  # its own origin for the API). The app routes in the fragment (#/active), never in the path.
  dynamic "custom_error_response" {
    for_each = [403, 404]
    content {
      error_code            = custom_error_response.value
      response_code         = 404
      response_page_path    = "/index.html"
      error_caching_min_ttl = 10
    }
  }

  logging_config {
    bucket = var.access_logs_bucket_domain_name
    prefix = "cloudfront/"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}

# CloudFront, for this distribution only, may read the bucket.
resource "aws_s3_bucket_policy" "site" {
  bucket = aws_s3_bucket.site.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudFrontReads"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = "s3:GetObject"
        Resource  = "${aws_s3_bucket.site.arn}/*"
        Condition = { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.site.arn } }
      },
      {
        Sid       = "HttpsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.site.arn, "${aws_s3_bucket.site.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
  depends_on = [aws_s3_bucket_public_access_block.site]
}
