gcloud auth activate-service-account --key-file=/root/gcp-cred.json
{% if v.gcpCredentials.projectId %}
gcloud config set project {{ v.gcpCredentials.projectId }}
{% endif %}
