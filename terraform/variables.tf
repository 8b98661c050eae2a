variable "environment" {
  description = "dev, staging or prod."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "region" {
  description = "The AWS region."
  type        = string
}

variable "vpc_cidr" {
  description = "The VPC's CIDR block."
  type        = string
  default     = "10.40.0.0/16"
}

variable "nat_per_az" {
  description = "One NAT gateway per AZ instead of one shared (prod)."
  type        = bool
  default     = false
}

variable "db_engine_version" {
  type    = string
  default = "16.4"
}

variable "db_instance_class" {
  type    = string
  default = "db.t4g.micro"
}

variable "db_allocated_storage_gb" {
  type    = number
  default = 20
}

variable "db_max_allocated_storage_gb" {
  type    = number
  default = 100
}

variable "db_multi_az" {
  description = "A standby database in the second AZ."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Protect the database (and keep a final snapshot) and the site bucket's objects."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic; empty for none."
  type        = string
  default     = ""
}

variable "proxy_connections_threshold" {
  type    = number
  default = 60
}

variable "proxy_client_connections_threshold" {
  type    = number
  default = 200
}

variable "api_throttle_rate" {
  description = "HTTP API steady-state requests per second (passed to sam deploy)."
  type        = number
  default     = 50
}

variable "api_throttle_burst" {
  description = "HTTP API burst (passed to sam deploy)."
  type        = number
  default     = 100
}

variable "deployment_type" {
  description = "CodeDeploy traffic shifting for the functions (passed to sam deploy)."
  type        = string
  default     = "Canary10Percent5Minutes"
}
