variable "name" {
  description = "Prefix of every resource name, e.g. goal-tracker-dev."
  type        = string
}

variable "subnet_ids" {
  description = "Isolated subnets for the database and the proxy (two AZs)."
  type        = list(string)
}

variable "security_group_id" {
  description = "The database's security group (in from the proxy only)."
  type        = string
}

variable "proxy_security_group_id" {
  description = "The proxy's security group (in from the functions only)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for storage and Performance Insights."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL version, major.minor."
  type        = string
}

variable "instance_class" {
  description = "e.g. db.t4g.micro."
  type        = string
}

variable "allocated_storage_gb" {
  description = "Initial gp3 storage."
  type        = number
}

variable "max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling."
  type        = number
}

variable "multi_az" {
  description = "A standby in the second AZ."
  type        = bool
}

variable "deletion_protection" {
  description = "Refuse deletion, and keep a final snapshot (prod)."
  type        = bool
}
