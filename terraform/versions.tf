terraform {
  # S3-native state locking (use_lockfile) needs terraform 1.10 or later.
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
  # Partial configuration: `terraform init -backend-config=envs/<env>.s3.tfbackend`.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { app = "goal-tracker", environment = var.environment, managed-by = "terraform" }
  }
}
