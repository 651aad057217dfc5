#!/usr/bin/env bash
# scripts/check_layers.sh — no include runs back up (docs/architecture.md,
# "Layers and files"): a file in src/LAYER may include headers of its own
# layer and of the layers below it, never above. Public headers
# (include/tern/) are open to all. Exit 1 and name each offending include.
set -euo pipefail
cd "$(dirname "$0")/.."
# Lowest first.
order=(wire core dev link net transport host app sim lab tools)
rank() { local i; for i in "${!order[@]}"; do [ "${order[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }
bad=0
while IFS= read -r f; do
	layer=${f#src/}; layer=${layer%%/*}
	r=$(rank "$layer")
	while IFS= read -r inc; do
		dir=${inc%%/*}
		[ "$dir" = "tern" ] && continue
		d=$(rank "$dir")
		if [ "$d" -lt 0 ] || [ "$d" -gt "$r" ]; then
			echo "$f includes $inc: $dir is above $layer" >&2
			bad=1
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done < <(find src -name '*.[ch]' | sort)
[ "$bad" -eq 0 ] && echo "layers: no include runs back up"
exit "$bad"
