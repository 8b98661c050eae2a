variable "name" {
  description = "Prefix of every resource name, e.g. goal-tracker-dev."
  type        = string
}

variable "protect" {
  description = "Keep the bucket's objects on destroy (prod)."
  type        = bool
}

variable "api_origins" {
  description = "Space-separated origins the page may connect to besides its own (the HTTP API's https:// and the WebSocket API's wss://), for the CSP's connect-src; empty before the APIs exist."
  type        = string
  validation {
    condition     = !strcontains(var.api_origins, "*") && !strcontains(var.api_origins, ";")
    error_message = "api_origins lists exact origins: no wildcard, no other directive."
  }
}

variable "access_logs_bucket_domain_name" {
  description = "Bucket (regional domain name) receiving CloudFront's standard logs."
  type        = string
}

variable "access_logs_bucket_id" {
  description = "Bucket receiving the site bucket's S3 access logs."
  type        = string
}

variable "web_acl_arn" {
  description = "Optional AWS WAF web ACL (us-east-1) for the distribution; null for none."
  type        = string
  default     = null
}
