#!/bin/sh
# Re-record the real outputs of this machine into DIR (default: ./recorded-$(hostname)).
# Each command's stdout goes to NAME, its stderr to NAME.stderr and its exit code to NAME.rc
# when they are not empty / not zero, so "not installed" and "not permitted" are recorded too.
set -u
dir=${1:-recorded-$(hostname)}
mkdir -p "$dir"
rec() {
    name=$1; shift
    "$@" >"$dir/$name" 2>"$dir/$name.stderr"
    rc=$?
    [ -s "$dir/$name.stderr" ] || rm -f "$dir/$name.stderr"
    [ "$rc" -eq 0 ] || echo "$rc" >"$dir/$name.rc"
}
for f in /proc/stat /proc/meminfo /proc/loadavg /proc/net/dev /proc/diskstats /proc/uptime \
         /proc/cpuinfo /proc/mounts /etc/os-release /proc/sys/kernel/hostname /proc/sys/kernel/osrelease; do
    rec "$(echo "${f#/}" | tr / _)" cat "$f"
done
rec lsblk.json lsblk -J -b -o NAME,TYPE,SIZE,MODEL,MOUNTPOINTS
rec lsblk-mountpoint.json lsblk -J -b -o NAME,TYPE,SIZE,MODEL,MOUNTPOINT
rec lscpu.txt lscpu
rec ip-j-addr.json ip -j addr
rec ip-addr.txt ip addr
rec df-P-B1.txt df -P -B1
rec df-kP.txt df -kP
rec lspci-mm.txt lspci -mm
rec dmidecode-memory.txt dmidecode -t memory
rec systemd-detect-virt.txt systemd-detect-virt
rec ls-sys-class-net.txt ls -1 /sys/class/net
for n in $(ls -1 /sys/class/net); do
    rec "sys_class_net_${n}_speed" cat "/sys/class/net/$n/speed"
done
rec ls-sys-class-hwmon.txt ls -1 /sys/class/hwmon
