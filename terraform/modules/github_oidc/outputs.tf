output "role_arn" {
  description = "Set as the GitHub environment's AWS_DEPLOY_ROLE_ARN variable."
  value       = aws_iam_role.deploy.arn
}
