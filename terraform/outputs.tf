# What `sam deploy` and the frontend job need, read by .github/workflows/deploy.yml with
# `terraform output -json`.

output "sam_parameter_overrides" {
  description = "Space-separated Key=Value pairs for `sam deploy --parameter-overrides`."
  value = join(" ", [
    "SubnetIds=${join(",", module.network.private_subnet_ids)}",
    "SecurityGroupIds=${module.network.functions_security_group_id}",
    "DbProxyEndpoint=${module.database.proxy_endpoint}",
    "DbSecretArn=${module.database.secret_arn}",
    "AlarmTopicArn=${module.monitoring.alarm_topic_arn}",
    "LogsKmsKeyArn=${aws_kms_key.main.arn}",
    "SiteOrigin=${module.frontend.origin}",
    "ThrottlingRateLimit=${var.api_throttle_rate}",
    "ThrottlingBurstLimit=${var.api_throttle_burst}",
    "DeploymentType=${var.deployment_type}",
    "LogRetentionDays=${var.log_retention_days}",
  ])
}

output "sam_stack_name" {
  value = local.name
}

output "sam_artifacts_bucket" {
  value = aws_s3_bucket.artifacts.bucket
}

output "private_subnet_ids" {
  value = module.network.private_subnet_ids
}

output "functions_security_group_id" {
  value = module.network.functions_security_group_id
}

output "db_proxy_endpoint" {
  value = module.database.proxy_endpoint
}

output "db_secret_arn" {
  value = module.database.secret_arn
}

output "alarm_topic_arn" {
  value = module.monitoring.alarm_topic_arn
}

output "frontend_bucket" {
  description = "The bucket deploy.yml syncs frontend/dist to."
  value       = module.frontend.bucket
}

output "frontend_distribution_id" {
  description = "The CloudFront distribution deploy.yml invalidates after a sync."
  value       = module.frontend.distribution_id
}

output "frontend_origin" {
  description = "The site's URL (https://<distribution>.cloudfront.net), also its origin: the only one the HTTP API's CORS allows."
  value       = module.frontend.origin
}

output "frontend_api_origins" {
  description = "The origins the site's CSP lets it connect to (the stack's HTTP and WebSocket APIs); empty until the first sam deploy."
  value       = local.api_origins
}

output "logs_kms_key_arn" {
  value = aws_kms_key.main.arn
}
