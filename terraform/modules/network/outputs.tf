output "vpc_id" {
  value = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "Where the functions run."
  value       = aws_subnet.private[*].id
}

output "isolated_subnet_ids" {
  description = "Where the database and the proxy run."
  value       = aws_subnet.isolated[*].id
}

output "functions_security_group_id" {
  value = aws_security_group.functions.id
}

output "proxy_security_group_id" {
  value = aws_security_group.proxy.id
}

output "database_security_group_id" {
  value = aws_security_group.database.id
}
