# dom0 scenario: torpor's address from DHCP. busybox udhcpd serves
# 10.77.0.100-109 on the bridge; torpor (2 vCPUs) gets a vif with a MAC and no
# `ip` key, so it must ask DHCP. dom0 pings the leased address, `xl migrate
# --live` moves the guest, and the same address answers ping and HTTP after.
# Record: dhcp_ip (the address the guest logged), udhcpd.log.
. /harness/lib.sh

NAME=dh
MAC=00:16:3e:77:00:06
cat > /tmp/udhcpd.conf <<CONF
start 10.77.0.100
end 10.77.0.109
interface $NET_BRIDGE
lease_file /tmp/udhcpd.leases
option subnet 255.255.255.0
option router $NET_DOM0_IP
option lease 600
CONF
: > /tmp/udhcpd.leases
udhcpd -f /tmp/udhcpd.conf > "$RESULTS/udhcpd.log" 2>&1 &
UDHCPD=$!
trap 'kill $UDHCPD 2>/dev/null' EXIT
cat > /tmp/$NAME.cfg <<CFG
type = "pv"
name = "$NAME"
kernel = "/payload/torpor.elf"
memory = 64
vcpus = 2
on_crash = "preserve"
CFG
vif_line $MAC >> /tmp/$NAME.cfg

leased_ip() {
  console_grep $NAME "net: vif0 up mac=$MAC ip=[0-9.]+ .*\(dhcp\)" | head -n 1 |
    sed 's/.* ip=\([0-9.]*\) .*/\1/'
}
step create 60 xl create /tmp/$NAME.cfg || exit 1
step ready 60 wait_console $NAME 'torpor: ready' 60 || exit 1
step asked 30 wait_console $NAME 'net: vif0: no ip from the backend or the command line: asking DHCP' 30
step bound 60 wait_console $NAME "net: vif0 up mac=$MAC ip=[0-9.]+ .*\(dhcp\)" 60
IP=$(leased_ip)
echo "$IP" > "$RESULTS/dhcp_ip"
step ping 30 net_ping "${IP:-10.77.0.254}"
step migrate-live 180 xl migrate --live -s "" $NAME "xl migrate-receive"
step resumed 60 wait_console $NAME 'app: after resume #1 ' 60
step ping-after 60 net_ping "${IP:-10.77.0.254}"
step http-after 30 net_http_get "${IP:-10.77.0.254}" /
step shutdown 60 xl shutdown -w $NAME
