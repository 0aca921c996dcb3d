{#- The API server container's start script. Every value is shell-quoted by the template
    engine; only the admin's own preDeployHook is inserted as shell (`| safe`). -#}
set -e

{{ api.pre_deploy_hook | safe }}

mkdir -p /root/.sky
# Older servers kept config.yaml as a symlink into the ConfigMap; replace it by a real file.
if [ -L /root/.sky/config.yaml ]; then
  echo "Config.yaml is a symlink to ConfigMap config, deleting symlink"
  rm /root/.sky/config.yaml
fi
# The volume is the source of truth: seed config.yaml from the ConfigMap only while it is empty,
# otherwise publish the volume's copy back to the ConfigMap.
if [ -s /root/.sky/config.yaml ]; then
  python3 -c "from sky.utils.kubernetes import config_map_utils; config_map_utils.initialize_configmap_sync_on_startup('~/.sky/config.yaml')"
else
  cp /var/skypilot/config/config.yaml /root/.sky/config.yaml
fi
{% if api.ssh_node_pools %}
# The Secret is the source of truth for the SSH node pools; link it read-only.
echo "Linking ssh_node_pools.yaml from secret to /root/.sky/ssh_node_pools.yaml"
ln -sf /var/skypilot/ssh_node_pool/ssh_node_pools.yaml /root/.sky/ssh_node_pools.yaml
# ~/.kube/config lives on the volume; an empty file would not parse, so seed it.
if [ ! -s /root/.kube/config ]; then
  echo "{}" > /root/.kube/config
fi
{% endif %}
{% if v.nebiusCredentials.enabled %}
# The Nebius CLI writes to ~/.nebius, so the read-only Secret is mounted elsewhere and linked in.
echo "Setting up Nebius credentials..."
mkdir -p /root/.nebius
for file in /root/.nebius_credentials/*; do
  if [ -f "$file" ]; then
    filename=$(basename "$file")
    ln -sf "$file" "/root/.nebius/$filename"
  fi
done
{% if v.nebiusCredentials.tenantId %}
echo {{ v.nebiusCredentials.tenantId }} >> /root/.nebius/NEBIUS_TENANT_ID.txt
{% endif %}
nebius profile create --profile sky --endpoint api.nebius.cloud --service-account-file /root/.nebius/credentials.json || echo "Unable to create Nebius profile."
{% endif %}
{% if v.apiService.sshKeySecret %}
# Link each key of the SSH key Secret into ~/.ssh, which may also hold keys the server made.
mkdir -p /root/.ssh
echo "Linking ssh keys to /root/.ssh"
for file in /var/skypilot/ssh_keys/*; do
  if [ -f "$file" ]; then
    filename=$(basename "$file")
    ln -sf "$file" "/root/.ssh/$filename"
  fi
done
{% endif %}
{% if api.dev_mode %}
# Dev mode: keep the container up without a server; a developer starts it with kubectl exec.
exec tail -f /dev/null
{% else %}
# Optional copy of the server output under $SKYPILOT_SERVER_LOG_MIRROR_DIR/<pod>/, one file per
# start. Best effort: a mirror that cannot be created must not stop the server.
SKYPILOT_LOG_MIRROR_FILE=""
if [ -n "${SKYPILOT_SERVER_LOG_MIRROR_DIR:-}" ]; then
  SKYPILOT_LOG_MIRROR_PER_POD_DIR="${SKYPILOT_SERVER_LOG_MIRROR_DIR}/${HOSTNAME:-unknown}"
  if mkdir -p "$SKYPILOT_LOG_MIRROR_PER_POD_DIR"; then
    SKYPILOT_LOG_MIRROR_FILE="${SKYPILOT_LOG_MIRROR_PER_POD_DIR}/server-$(date -u +%Y%m%dT%H%M%SZ).log"
  else
    echo "warning: failed to create log mirror directory $SKYPILOT_LOG_MIRROR_PER_POD_DIR; mirroring disabled" >&2
  fi
fi
{% if v.apiService.serveServerLog %}
mkdir -p /root/.sky/api_server
# A FIFO (not a pipe) lets `exec` make the server tini's direct child, so it gets SIGTERM.
rm -f /tmp/skylog && mkfifo /tmp/skylog
if [ -n "$SKYPILOT_LOG_MIRROR_FILE" ]; then
  tee -a /root/.sky/api_server/server.log "$SKYPILOT_LOG_MIRROR_FILE" < /tmp/skylog &
else
  tee -a /root/.sky/api_server/server.log < /tmp/skylog &
fi
exec sky api start --deploy{% if auth.enable_basic_auth %} --enable-basic-auth{% endif %} --host={{ api.host }} --foreground > /tmp/skylog 2>&1
{% else %}
if [ -n "$SKYPILOT_LOG_MIRROR_FILE" ]; then
  rm -f /tmp/skylog && mkfifo /tmp/skylog
  tee -a "$SKYPILOT_LOG_MIRROR_FILE" < /tmp/skylog &
  exec sky api start --deploy{% if auth.enable_basic_auth %} --enable-basic-auth{% endif %} --host={{ api.host }} --foreground > /tmp/skylog 2>&1
fi
exec sky api start --deploy{% if auth.enable_basic_auth %} --enable-basic-auth{% endif %} --host={{ api.host }} --foreground
{% endif %}
{% endif %}
