echo "Setting up AWS credentials..."
if [ -n "$AWS_ACCESS_KEY_ID" ] && [ -n "$AWS_SECRET_ACCESS_KEY" ]; then
  echo "AWS credentials found in environment variables."
  aws configure set aws_access_key_id "$AWS_ACCESS_KEY_ID"
  aws configure set aws_secret_access_key "$AWS_SECRET_ACCESS_KEY"
  echo "Credentials file created successfully."
else
  echo "AWS credentials not found in environment variables. Skipping credentials setup."
  # Keep the failed init container around long enough to inspect it.
  echo "Sleeping for 10 minutes before exiting for debugging purposes."
  sleep 600
fi
