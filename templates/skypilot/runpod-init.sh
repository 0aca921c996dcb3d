echo "Setting up RunPod credentials..."
if [ -n "$RUNPOD_API_KEY" ]; then
  echo "RunPod credentials found in environment variable."
  mkdir -p /root/.runpod
  echo "[default]" > /root/.runpod/config.toml
  echo "api_key = \"$RUNPOD_API_KEY\"" >> /root/.runpod/config.toml
else
  echo "RunPod credentials not found in environment variables. Skipping credentials setup."
  echo "Sleeping for 10 minutes before exiting for debugging purposes."
  sleep 600
fi
