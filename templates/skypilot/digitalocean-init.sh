{#- doctl reads /.config/doctl/config.yaml in the init container's filesystem root; the main
    container mounts the same emptyDir at /root/.config/doctl. -#}
echo "Setting up Digital Ocean credentials..."
if [ -n "$DIGITALOCEAN_CREDENTIALS" ]; then
  echo "Digital Ocean credentials found in environment variable."
  mkdir -p /.config/doctl
  echo "access-token: $DIGITALOCEAN_CREDENTIALS" > /.config/doctl/config.yaml
else
  echo "Digital Ocean credentials not found in environment variables. Skipping credentials setup."
  echo "Sleeping for 10 minutes before exiting for debugging purposes."
  sleep 600
fi
