{#- Copies the CoreWeave credential files from the read-only Secret into a writable emptyDir. -#}
cp /root/.coreweave_credentials/* /root/.coreweave/
