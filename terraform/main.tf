# The platform goal-tracker's SAM application runs on, for one environment (dev, staging, prod):
# network, database behind RDS Proxy, its secret, the frontend's bucket and CDN, the alarm topic
# and the platform's alarms, and the bucket `sam deploy` uploads to. Its outputs are the SAM
# template's parameters (see outputs.tf and .github/workflows/deploy.yml).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# The SAM stack's two APIs, found by the names template.yaml gives them (the stack is named
# local.name: output sam_stack_name). They exist only after the first `sam deploy`, which needs
# this platform first: so the first apply finds none (the site may then connect to itself only)
# and deploy.yml applies again after `sam deploy`; from then on every apply finds them.
data "aws_apigatewayv2_apis" "http" {
  name          = "${local.name}-http"
  protocol_type = "HTTP"
}

data "aws_apigatewayv2_apis" "websocket" {
  name          = "${local.name}-ws"
  protocol_type = "WEBSOCKET"
}

locals {
  name = "goal-tracker-${var.environment}"
  # The origins the site's CSP lets it connect to: exactly the stack's HTTP API and WebSocket API.
  api_host_suffix = "execute-api.${var.region}.${data.aws_partition.current.dns_suffix}"
  api_origins = join(" ", concat(
    [for id in sort(tolist(data.aws_apigatewayv2_apis.http.ids)) : "https://${id}.${local.api_host_suffix}"],
    [for id in sort(tolist(data.aws_apigatewayv2_apis.websocket.ids)) : "wss://${id}.${local.api_host_suffix}"],
  ))
}

# One key for the environment's data at rest: database storage, Performance Insights, log
# groups and the alarm topic. Rotated yearly by KMS. (The database secret uses Secrets
# Manager's AWS-managed key, so reading it needs no key grant.)
resource "aws_kms_key" "main" {
  description             = "${local.name}: data at rest"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Account"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = { ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:*" } }
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.main.key_id
}

module "network" {
  source             = "./modules/network"
  name               = local.name
  region             = var.region
  cidr_block         = var.vpc_cidr
  nat_per_az         = var.nat_per_az
  log_retention_days = var.log_retention_days
  logs_kms_key_arn   = aws_kms_key.main.arn
}

module "database" {
  source                   = "./modules/database"
  name                     = local.name
  subnet_ids               = module.network.isolated_subnet_ids
  security_group_id        = module.network.database_security_group_id
  proxy_security_group_id  = module.network.proxy_security_group_id
  kms_key_arn              = aws_kms_key.main.arn
  engine_version           = var.db_engine_version
  instance_class           = var.db_instance_class
  allocated_storage_gb     = var.db_allocated_storage_gb
  max_allocated_storage_gb = var.db_max_allocated_storage_gb
  multi_az                 = var.db_multi_az
  deletion_protection      = var.deletion_protection
}

module "frontend" {
  source                         = "./modules/frontend"
  name                           = local.name
  protect                        = var.deletion_protection
  api_origins                    = local.api_origins
  access_logs_bucket_domain_name = aws_s3_bucket.logs.bucket_domain_name
  access_logs_bucket_id          = aws_s3_bucket.logs.id
}

module "monitoring" {
  source                             = "./modules/monitoring"
  name                               = local.name
  kms_key_arn                        = aws_kms_key.main.arn
  alarm_email                        = var.alarm_email
  db_instance_identifier             = module.database.instance_identifier
  proxy_name                         = module.database.proxy_name
  proxy_connections_threshold        = var.proxy_connections_threshold
  proxy_client_connections_threshold = var.proxy_client_connections_threshold
}
