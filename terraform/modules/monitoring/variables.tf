variable "name" {
  description = "Prefix of every resource name, e.g. goal-tracker-dev."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the topic."
  type        = string
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic; empty for none."
  type        = string
}

variable "db_instance_identifier" {
  type = string
}

variable "proxy_name" {
  type = string
}

variable "proxy_connections_threshold" {
  description = "Database connections held by the proxy above which to alarm."
  type        = number
}

variable "proxy_client_connections_threshold" {
  description = "Client connections to the proxy above which to alarm."
  type        = number
}
