# Shared by scripts/run, scripts/test and scripts/screenshots: install
# Debian packages that are missing, with apt-get as root, or say the exact
# command to type.

# apt_install PKG... installs the packages, or exits with the command.
apt_install() {
	if [ "$(id -u)" -eq 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo apt-get update -qq
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
	else
		echo "Reelforge needs: $*" >&2
		echo "Install them with:  sudo apt-get install -y $*" >&2
		exit 1
	fi
}

# media_packages prints the packages that FFmpeg and a CJK font need.
media_packages() {
	command -v ffmpeg >/dev/null 2>&1 || echo ffmpeg
	command -v ffprobe >/dev/null 2>&1 || echo ffmpeg
	fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || echo fonts-noto-cjk
}

# console_packages prints the packages that the console's browser tests
# need: Debian's Chromium, driven by playwright-core, and Node with npm.
console_packages() {
	[ -x /usr/bin/chromium ] || echo chromium
	command -v node >/dev/null 2>&1 || echo nodejs
	command -v npm >/dev/null 2>&1 || echo npm
}
