{#- Writes the Cloudflare R2 credentials from the Secret's keys into the shared emptyDir.
    Unlike the chart, it never prints the credentials or the account id to the pod log. -#}
set -e
echo "Setting up R2 credentials..."
mkdir -p /root/.cloudflare
echo "$R2_CREDENTIALS" > /root/.cloudflare/r2.credentials
echo "$R2_ACCOUNT_ID" > /root/.cloudflare/accountid
chmod 600 /root/.cloudflare/r2.credentials /root/.cloudflare/accountid
echo "R2 credentials setup complete:"
ls -la /root/.cloudflare/
