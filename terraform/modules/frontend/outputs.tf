output "bucket" {
  value = aws_s3_bucket.site.bucket
}

output "bucket_arn" {
  value = aws_s3_bucket.site.arn
}

output "distribution_id" {
  value = aws_cloudfront_distribution.site.id
}

output "distribution_arn" {
  value = aws_cloudfront_distribution.site.arn
}

output "origin" {
  description = "The site's origin, the only one the API's CORS allows."
  value       = "https://${aws_cloudfront_distribution.site.domain_name}"
}
