#!/usr/bin/perl
# Talks to RT's own libraries (no REST API exists for these): run by scripts/rt-test-server.sh as
#   perl rt-helper.pl RT_LIB_DIR is-set-up   -> prints "yes", "no" or "partial: <what is missing>"
#   perl rt-helper.pl RT_LIB_DIR mint-token  -> prints a new auth token for root (1-<uid>-<hex>),
#                                              after deleting the earlier ones it minted
use strict;
use warnings;

my ($lib, $action) = @ARGV;
die "usage: rt-helper.pl RT_LIB_DIR is-set-up|mint-token\n" unless $lib && $action;
unshift @INC, $lib;
require RT;
RT::LoadConfig();
RT::Init();

my $queue_name = 'API Security';
my $bare_queue = 'apiguard no CF';
my $cf_name    = 'apiguard Finding ID';
my $description = 'apiguard integration test';

if ($action eq 'is-set-up') {
    my $queue = RT::Queue->new(RT->SystemUser);
    $queue->Load($queue_name);
    my $bare = RT::Queue->new(RT->SystemUser);
    $bare->Load($bare_queue);
    my $cf = RT::CustomField->new(RT->SystemUser);
    $cf->LoadByCols(Name => $cf_name, LookupType => 'RT::Queue-RT::Ticket', Disabled => 0);
    my @missing;
    push @missing, "queue '$queue_name'" unless $queue->Id;
    push @missing, "queue '$bare_queue'" unless $bare->Id;
    push @missing, "custom field '$cf_name'" unless $cf->Id;
    push @missing, "custom field '$cf_name' applied to '$queue_name'" if $cf->Id && $queue->Id && !$cf->IsAdded($queue->Id);
    if (!@missing) { print "yes\n" }
    elsif (!$queue->Id && !$bare->Id && !$cf->Id) { print "no\n" }
    else { print 'partial: missing ' . join(', ', @missing) . "\n" }
} elsif ($action eq 'mint-token') {
    my $user = RT::CurrentUser->new(RT->SystemUser);
    $user->Load('root');
    die "no root user in RT\n" unless $user->Id;
    # RT checks a presented token against every token of its user, one bcrypt each: earlier test
    # tokens would make every request slower, so they go.
    my $old = RT::AuthTokens->new(RT->SystemUser);
    $old->LimitOwner(VALUE => $user->Id);
    $old->Limit(FIELD => 'Description', VALUE => $description);
    while (my $t = $old->Next) { $t->Delete }
    my $token = RT::AuthToken->new($user);
    my ($id, $msg, $authstring) = $token->Create(Owner => $user->Id, Description => $description);
    die "cannot create an auth token: $msg\n" unless $id;
    print "$authstring\n";
} else {
    die "unknown action '$action'\n";
}
