# The role GitHub Actions assumes through OIDC (no long-lived keys) to deploy one environment:
# trusted only for this repository's workflows running in that GitHub environment, allowed only
# the services the platform and the SAM stack use, in one region, on resources named for the
# environment wherever AWS lets a policy say so.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  prefix    = "goal-tracker-${var.environment}"
  in_region = { StringEquals = { "aws:RequestedRegion" = var.region } }
}

resource "aws_iam_role" "deploy" {
  name                 = "${local.prefix}-github-deploy"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = var.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = "repo:${var.github_repository}:environment:${var.environment}"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "deploy" {
  name = "deploy"
  role = aws_iam_role.deploy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "TerraformState"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = "arn:${local.partition}:s3:::${var.state_bucket}/${var.environment}/*"
      },
      {
        Sid       = "TerraformStateList"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = "arn:${local.partition}:s3:::${var.state_bucket}"
        Condition = { StringLike = { "s3:prefix" = "${var.environment}/*" } }
      },
      {
        Sid    = "Network"
        Effect = "Allow"
        Action = [
          "ec2:Describe*", "ec2:CreateTags", "ec2:DeleteTags",
          "ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute",
          "ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute",
          "ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:CreateRoute", "ec2:DeleteRoute", "ec2:ReplaceRoute",
          "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable",
          "ec2:CreateInternetGateway", "ec2:DeleteInternetGateway", "ec2:AttachInternetGateway", "ec2:DetachInternetGateway",
          "ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:DisassociateAddress",
          "ec2:CreateNatGateway", "ec2:DeleteNatGateway",
          "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup",
          "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress",
          "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
          "ec2:ModifySecurityGroupRules", "ec2:UpdateSecurityGroupRuleDescriptionsIngress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
          "ec2:CreateVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint",
          "ec2:CreateFlowLogs", "ec2:DeleteFlowLogs",
        ]
        Resource  = "*"
        Condition = local.in_region
      },
      {
        Sid    = "DatabaseAndProxy"
        Effect = "Allow"
        Action = [
          "rds:Describe*", "rds:ListTagsForResource", "rds:AddTagsToResource", "rds:RemoveTagsFromResource",
          "rds:CreateDBInstance", "rds:ModifyDBInstance", "rds:DeleteDBInstance", "rds:RebootDBInstance",
          "rds:CreateDBSubnetGroup", "rds:ModifyDBSubnetGroup", "rds:DeleteDBSubnetGroup",
          "rds:CreateDBParameterGroup", "rds:ModifyDBParameterGroup", "rds:DeleteDBParameterGroup",
          "rds:CreateDBProxy", "rds:ModifyDBProxy", "rds:DeleteDBProxy",
          "rds:ModifyDBProxyTargetGroup", "rds:RegisterDBProxyTargets", "rds:DeregisterDBProxyTargets",
        ]
        Resource  = "*"
        Condition = local.in_region
      },
      {
        Sid      = "RolesOfThisEnvironment"
        Effect   = "Allow"
        Action   = ["iam:GetRole", "iam:CreateRole", "iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListInstanceProfilesForRole"]
        Resource = "arn:${local.partition}:iam::${local.account}:role/${local.prefix}-*"
      },
      {
        Sid       = "PassRolesOfThisEnvironment"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = "arn:${local.partition}:iam::${local.account}:role/${local.prefix}-*"
        Condition = { StringEquals = { "iam:PassedToService" = ["lambda.amazonaws.com", "rds.amazonaws.com", "monitoring.rds.amazonaws.com", "vpc-flow-logs.amazonaws.com", "codedeploy.amazonaws.com"] } }
      },
      {
        Sid       = "RdsServiceLinkedRole"
        Effect    = "Allow"
        Action    = "iam:CreateServiceLinkedRole"
        Resource  = "*"
        Condition = { StringEquals = { "iam:AWSServiceName" = ["rds.amazonaws.com", "elasticloadbalancing.amazonaws.com"] } }
      },
      {
        Sid    = "Application"
        Effect = "Allow"
        Action = [
          "lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:CreateFunction", "lambda:DeleteFunction",
          "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PublishVersion", "lambda:ListVersionsByFunction",
          "lambda:CreateAlias", "lambda:UpdateAlias", "lambda:DeleteAlias", "lambda:GetAlias",
          "lambda:AddPermission", "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource", "lambda:ListTags",
          "lambda:InvokeFunction", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:GetRuntimeManagementConfig",
        ]
        Resource = [
          "arn:${local.partition}:lambda:${var.region}:${local.account}:function:${local.prefix}-*",
          "arn:${local.partition}:lambda:${var.region}:${local.account}:function:CodeDeployHook_${local.prefix}-*",
        ]
      },
      {
        Sid      = "ApiGateway"
        Effect   = "Allow"
        Action   = ["apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE", "apigateway:TagResource"]
        Resource = ["arn:${local.partition}:apigateway:${var.region}::/apis", "arn:${local.partition}:apigateway:${var.region}::/apis/*", "arn:${local.partition}:apigateway:${var.region}::/tags/*"]
      },
      {
        Sid      = "Stack"
        Effect   = "Allow"
        Action   = ["cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet", "cloudformation:DeleteChangeSet", "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:DescribeStackResource", "cloudformation:DescribeStackResources", "cloudformation:GetTemplate", "cloudformation:GetTemplateSummary", "cloudformation:ListStackResources", "cloudformation:DeleteStack", "cloudformation:CancelUpdateStack", "cloudformation:RollbackStack"]
        Resource = ["arn:${local.partition}:cloudformation:${var.region}:${local.account}:stack/${local.prefix}/*"]
      },
      {
        Sid      = "SamTransform"
        Effect   = "Allow"
        Action   = "cloudformation:CreateChangeSet"
        Resource = "arn:${local.partition}:cloudformation:${var.region}:aws:transform/Serverless-2016-10-31"
      },
      {
        Sid    = "TrafficShifting"
        Effect = "Allow"
        Action = ["codedeploy:*"]
        Resource = [
          "arn:${local.partition}:codedeploy:${var.region}:${local.account}:application:${local.prefix}-*",
          "arn:${local.partition}:codedeploy:${var.region}:${local.account}:deploymentgroup:${local.prefix}-*",
          "arn:${local.partition}:codedeploy:${var.region}:${local.account}:deploymentconfig:*",
        ]
      },
      {
        Sid       = "LogsAndAlarms"
        Effect    = "Allow"
        Action    = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:DescribeLogGroups", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:CreateLogDelivery", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource", "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:ListTagsForResource", "sns:TagResource"]
        Resource  = "*"
        Condition = local.in_region
      },
      {
        Sid       = "KeysAndSecret"
        Effect    = "Allow"
        Action    = ["kms:CreateKey", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation", "kms:ListResourceTags", "kms:TagResource", "kms:ScheduleKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:ListAliases", "kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = local.in_region
      },
      {
        # RDS creates, rotates and deletes the database's managed secret on the caller's behalf.
        Sid      = "RdsManagedSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret", "secretsmanager:RotateSecret"]
        Resource = "arn:${local.partition}:secretsmanager:${var.region}:${local.account}:secret:rds!db-*"
      },
      {
        Sid      = "FrontendAndArtifactBuckets"
        Effect   = "Allow"
        Action   = ["s3:*"]
        Resource = ["arn:${local.partition}:s3:::${local.prefix}-*", "arn:${local.partition}:s3:::${local.prefix}-*/*"]
      },
      {
        Sid      = "Cdn"
        Effect   = "Allow"
        Action   = ["cloudfront:*"]
        Resource = "*"
      },
    ]
  })
}
