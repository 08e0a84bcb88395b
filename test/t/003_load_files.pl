# pkt_load refuses what is not a regular file, without blocking: a FIFO
# with no writer would hold open() forever, out of reach of
# statement_timeout and pg_terminate_backend.
use strict;
use warnings;
use POSIX qw(mkfifo);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('files');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pktcapture'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pktcapture');

my $dir = PostgreSQL::Test::Utils::tempdir;
my $fifo = "$dir/capture.pcap";
mkfifo($fifo, 0600) or die "mkfifo: $!";

# bounded: a pkt_load that blocks fails here instead of hanging the suite
my ($ret, $stdout, $stderr, $timed_out);
$ret = $node->psql('postgres', "SELECT pkt_load('$fifo')",
	stdout => \$stdout, stderr => \$stderr,
	timeout => 20, timed_out => \$timed_out,
	extra_params => ['-v', 'VERBOSITY=verbose']);
ok(!$timed_out, 'pkt_load of a FIFO returns at once');
isnt($ret, 0, 'pkt_load of a FIFO fails');
like($stderr, qr/42809: capture file ".*capture\.pcap" is not a regular file/,
	'the error says it is not a regular file (wrong object type)');
like($stderr, qr/HINT:.*tcpdump -w/, 'the hint says what to do instead');

$ret = $node->psql('postgres', "SELECT pkt_load('$dir')", stderr => \$stderr);
like($stderr, qr/is not a regular file/, 'a directory is refused the same way');

$ret = $node->psql('postgres', "SELECT pkt_load('$dir/missing.pcap')", stderr => \$stderr);
like($stderr, qr/could not open capture file ".*missing\.pcap": No such file or directory/,
	'a missing file says so');

# nothing was left behind: no slot running, no run in the ledger
is($node->safe_psql('postgres', "SELECT count(*) FROM pkt_status() WHERE state = 'running'"),
	'0', 'no load is left running');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pkt_runs'), '0',
	'no run was opened for files that could not be read');
# the backend is still usable and not leaking descriptors: 200 refusals
my $sql = join('', map { "DO \$\$ BEGIN PERFORM pkt_load('$fifo'); EXCEPTION WHEN OTHERS THEN NULL; END \$\$;\n" } 1 .. 200);
$node->safe_psql('postgres', $sql);
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server still answers after 200 refused loads');

$node->stop;
done_testing();
