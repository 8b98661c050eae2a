output "instance_identifier" {
  value = aws_db_instance.this.identifier
}

output "proxy_name" {
  value = aws_db_proxy.this.name
}

output "proxy_endpoint" {
  description = "What the functions connect to (DB_HOST)."
  value       = aws_db_proxy.this.endpoint
}

output "secret_arn" {
  description = "The RDS-managed secret holding username and password (DB_SECRET_ARN)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}
