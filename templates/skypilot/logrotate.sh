{#- The logrotate sidecar: keeps server.log small; idles if the image has no logrotate. -#}
if ! command -v logrotate >/dev/null 2>&1; then
  echo "warning: logrotate not found; skipping log retention" >&2
  while true; do
    sleep 3600
  done
fi
set -x
cat > /etc/logrotate.conf <<EOF
/root/.sky/api_server/server.log {
    size {{ v.apiService.logs.retention.size }}
    rotate 1
    missingok
    notifempty
    copytruncate
}
EOF
while true; do
  logrotate -s /var/lib/logrotate/status /etc/logrotate.conf
  sleep 60;
done
