variable "environment" {
  description = "dev, staging or prod: the GitHub environment the role trusts, and the resources it may touch."
  type        = string
}

variable "region" {
  type = string
}

variable "github_repository" {
  description = "owner/name of the GitHub repository."
  type        = string
}

variable "oidc_provider_arn" {
  description = "The account's GitHub OIDC provider."
  type        = string
}

variable "state_bucket" {
  description = "The terraform state bucket."
  type        = string
}
