# Capture across server restarts: pktcapture.autostart, restart after an
# unexpected end, pkt_stop for good, and what kill -9 may lose.
use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(pack_sockaddr_in inet_aton);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $port = 20000 + ($$ % 20000);
my $node = PostgreSQL::Test::Cluster->new('auto');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pktcapture'
max_worker_processes = 16
pktcapture.autostart = 'lo'
pktcapture.autostart_filter = 'udp and dst port $port'
pktcapture.database = 'postgres'
pktcapture.flush_interval = '200ms'
# the sums of committed rows stay in the worker until it stops
pktcapture.summary_interval = '1h'
# a killed worker restarts the server, as any backend crash does
restart_after_crash = on
});
# the extension must exist before the launcher's capture can write
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pktcapture');

sub send_udp
{
	my ($count) = @_;
	my $sock = IO::Socket::INET->new(Proto => 'udp') or die "socket: $!";
	my $dest = pack_sockaddr_in($port, inet_aton('127.0.0.1'));
	for my $i (1 .. $count)
	{
		defined $sock->send(pack('N', $i) . ('x' x 60), 0, $dest) or die "send: $!";
	}
	close $sock;
}

# pkt_report against GROUP BY over every row: the lines that differ
sub report_differences
{
	return $node->safe_psql('postgres',
		"\\set from '-infinity'\n\\set to 'infinity'\n\\i test/report_check.sql");
}

sub running_pid
{
	return $node->safe_psql('postgres',
		"SELECT coalesce(max(pid), 0) FROM pkt_status() WHERE interface = 'lo' AND state = 'running'");
}

# the server's clock, to tell a capture that started after an event
sub server_now
{
	return $node->safe_psql('postgres', 'SELECT clock_timestamp()');
}

# Waits (bounded, see poll_query_until) until a capture runs on lo that is
# not the one of worker $old_pid and started after $since: a slot left
# over from before cannot satisfy it.  Without $old_pid, any running one.
sub new_capture_runs
{
	my ($old_pid, $since) = @_;
	my $cond = defined $old_pid ? " AND pid <> $old_pid AND started_at > '$since'" : '';
	return $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pkt_status() WHERE interface = 'lo' AND state = 'running'$cond");
}

# The launcher retries until the extension exists, then the capture runs.
ok(new_capture_runs(), 'capture started from pktcapture.autostart')
  or die 'autostarted capture did not start';
send_udp(200);
ok($node->poll_query_until('postgres', 'SELECT count(*) = 200 FROM packets'),
	'autostarted capture stores rows')
  or die 'rows did not arrive';

# Across a server restart it starts again by itself.
my $pid = running_pid();
my $since = server_now();
$node->restart;
ok(new_capture_runs($pid, $since), 'capture starts again after a server restart')
  or die 'capture did not start after restart';
is($node->safe_psql('postgres', 'SELECT count(*) FROM packets'), '200', 'rows kept');

# Ended without pkt_stop (here: terminated): the launcher starts it again.
$pid = running_pid();
$since = server_now();
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok(new_capture_runs($pid, $since), 'a capture that ended unexpectedly is restarted')
  or die 'capture was not restarted';

# kill -9 of the worker restarts the whole server (as any backend crash);
# what was committed stays, the run is marked interrupted, capture resumes.
send_udp(100);
$node->poll_query_until('postgres', 'SELECT count(*) = 300 FROM packets')
  or die 'rows did not arrive';
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pkt_summary s JOIN pkt_runs r USING (run_id) WHERE r.state = 'running'"),
	'0', 'the running capture has written no summaries yet (summary_interval)');
is(report_differences(), '', 'pkt_report reads its rows from packets meanwhile: it equals GROUP BY');
$pid = running_pid();
$since = server_now();
my $log_offset = -s $node->logfile;
kill 'KILL', $pid;
# Until the postmaster notices the death and reinitializes shared memory,
# the killed worker's slot still says "running": wait for a new worker.
ok(new_capture_runs($pid, $since), 'a new capture worker runs after kill -9 of the old one')
  or die 'capture did not come back after kill -9';
like(slurp_file($node->logfile, $log_offset),
	qr/\(PID $pid\) was terminated by signal 9.*all server processes terminated; reinitializing/s,
	'the kill -9 restarted the server (shared memory reinitialized)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM packets'), '300',
	'kill -9 loses nothing that was committed');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pkt_runs WHERE state = 'interrupted'"), '1',
	'the killed run is marked interrupted in the ledger');
is($node->safe_psql('postgres',
		"SELECT sum(s.packets) FROM pkt_summary s JOIN pkt_runs r USING (run_id) WHERE r.state = 'interrupted' AND s.span = '1 minute'"),
	'100', 'its rows that had no summaries when it was killed were added to them');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pkt_runs WHERE state <> 'running' AND summarized_id IS NOT NULL"),
	'0', 'every ended run is wholly in the summaries');
is(report_differences(), '', 'pkt_report equals GROUP BY after the crash');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pkt_runs r WHERE r.rows_stored <> (SELECT count(*) FROM packets p WHERE p.run_id = r.run_id)"),
	'0', 'every run in the ledger counts exactly its stored rows');

# pkt_stop stops it for good.
send_udp(50);
$node->poll_query_until('postgres', 'SELECT count(*) = 350 FROM packets')
  or die 'rows did not arrive';
$log_offset = -s $node->logfile;
$node->safe_psql('postgres', "SELECT pkt_stop('lo')");
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pkt_runs WHERE summarized_id IS NOT NULL"),
	'0', 'a stopped capture writes its last summaries');
is(report_differences(), '', 'pkt_report equals GROUP BY after pkt_stop');
# The launcher looks at the slot once a second and logs what it decides
# about a capture that ended: wait for that line, whichever it is.
$node->wait_for_log(qr/autostart: capture on interface "lo" (was stopped with pkt_stop|ended)/,
	$log_offset);
my $decided = slurp_file($node->logfile, $log_offset);
like($decided, qr/capture on interface "lo" was stopped with pkt_stop\(\); it stays stopped until the server restarts/,
	'the launcher leaves a capture stopped with pkt_stop stopped, and says so');
unlike($decided, qr/capture on interface "lo" (ended|launched)/, 'the launcher does not start it again');
is($node->safe_psql('postgres',
		"SELECT state FROM pkt_status() WHERE interface = 'lo'"), 'stopped',
	'a capture stopped with pkt_stop stays stopped');

$node->stop;
done_testing();
