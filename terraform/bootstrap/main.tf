# One-time bootstrap, applied by an administrator with local state: the remote state bucket,
# the account's GitHub OIDC provider and one deploy role per environment. Everything else is
# applied by the pipeline through those roles (see README, "Deploy").

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { app = "goal-tracker", managed-by = "terraform-bootstrap" }
  }
}

variable "region" {
  description = "The region every environment deploys to."
  type        = string
}

variable "state_bucket" {
  description = "Globally unique name for the terraform state bucket."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the GitHub repository allowed to deploy."
  type        = string
}

variable "environments" {
  description = "The environments to create deploy roles for."
  type        = set(string)
  default     = ["dev", "staging", "prod"]
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:bootstrap bucket created before any log bucket exists; versioned, TLS-only, private
  #checkov:skip=CKV_AWS_144:terraform state is versioned; cross-region replication is not worth a second bucket here
  bucket = var.state_bucket
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    id     = "old-state-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "HttpsOnly"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

# GitHub's OIDC issuer; IAM verifies its certificate chain itself, the thumbprint is a placeholder.
resource "aws_iam_openid_connect_provider" "github" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["ffffffffffffffffffffffffffffffffffffffff"]
}

module "deploy_role" {
  source   = "../modules/github_oidc"
  for_each = var.environments

  environment       = each.key
  region            = var.region
  github_repository = var.github_repository
  oidc_provider_arn = aws_iam_openid_connect_provider.github.arn
  state_bucket      = aws_s3_bucket.state.bucket
}

output "state_bucket" {
  value = aws_s3_bucket.state.bucket
}

output "deploy_role_arns" {
  description = "Per environment: set as that GitHub environment's AWS_DEPLOY_ROLE_ARN variable."
  value       = { for env, role in module.deploy_role : env => role.role_arn }
}
