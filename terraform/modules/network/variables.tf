variable "name" {
  description = "Prefix of every resource name, e.g. goal-tracker-dev."
  type        = string
}

variable "region" {
  description = "The AWS region (for endpoint service names)."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's CIDR block; split into six /20s (for a /16) across two AZs."
  type        = string
}

variable "nat_per_az" {
  description = "One NAT gateway per AZ (survives an AZ outage) instead of one shared."
  type        = bool
}

variable "log_retention_days" {
  description = "Days the VPC flow logs are kept."
  type        = number
}

variable "logs_kms_key_arn" {
  description = "KMS key encrypting the log groups."
  type        = string
}
