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
    "AllowedOrigins=${module.frontend.origin}",
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
  value = module.frontend.bucket
}

output "frontend_distribution_id" {
  value = module.frontend.distribution_id
}

output "frontend_origin" {
  value = module.frontend.origin
}

output "logs_kms_key_arn" {
  value = aws_kms_key.main.arn
}
