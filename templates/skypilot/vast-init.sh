echo "Setting up Vast credentials..."
if [ -n "$VAST_API_KEY" ]; then
  echo "Vast credentials found in environment variable."
  mkdir -p /root/.config/vastai
  echo "$VAST_API_KEY" > /root/.config/vastai/vast_api_key
else
  echo "Vast credentials not found in environment variables. Skipping credentials setup."
  echo "Sleeping for 10 minutes before exiting for debugging purposes."
  sleep 600
fi
