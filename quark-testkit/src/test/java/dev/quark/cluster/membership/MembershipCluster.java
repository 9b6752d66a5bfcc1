package dev.quark.cluster.membership;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;

/**
 * Silos whose membership agents share one in-memory table, one virtual clock and one {@link TestNetwork}.
 * Every agent runs its jobs on the thread that drives the scheduler, so a test that advances time sees every
 * consequence when the call returns.
 */
final class MembershipCluster implements AutoCloseable {

    final ManualClock clock = new ManualClock();

    final ManualScheduler scheduler = new ManualScheduler(this.clock);

    final MembershipProvider table;

    final TestNetwork network = new TestNetwork();

    private final Map<String, Member> members = new LinkedHashMap<>();

    private int nextPort = 7100;

    MembershipCluster() {
        this(new InMemoryMembershipProvider());
    }

    /**
     * Creates a cluster whose silos share a table of the test's choosing.
     */
    MembershipCluster(MembershipProvider table) {
        this.table = table;
    }

    Member start(String siloId) {
        return start(siloId, UnaryOperator.identity());
    }

    Member start(String siloId, UnaryOperator<MembershipSettings.Builder> settings) {
        Member member = create(siloId, settings);
        try {
            member.agent().start().get(5, TimeUnit.SECONDS);
        }
        catch (Exception ex) {
            throw new AssertionError("Silo " + siloId + " did not join", ex);
        }
        return member;
    }

    Member create(String siloId, UnaryOperator<MembershipSettings.Builder> settings) {
        MembershipSettings built = settings
            .apply(MembershipSettings.builder(siloId, new SiloAddress("127.0.0.1", this.nextPort++))
                .clusterName("test")
                .actorTypes(Set.of("Counter")))
            .build();
        PausableScheduler siloScheduler = new PausableScheduler(this.scheduler, this.clock);
        TableConnection connection = new TableConnection(this.table);
        RecordingListener events = new RecordingListener(this.clock);
        RecordingMetrics metrics = new RecordingMetrics();
        SiloMembership agent = SiloMembership.builder(built, connection, this.network.proberOf(siloId))
            .clock(this.clock)
            .scheduler(siloScheduler)
            .executor(Runnable::run)
            .metrics(metrics)
            .build();
        agent.addListener(events);
        Member member = new Member(siloId, agent, siloScheduler, connection, events, metrics);
        this.members.put(siloId, member);
        return member;
    }

    Member member(String siloId) {
        return this.members.get(siloId);
    }

    List<Member> running() {
        List<Member> running = new ArrayList<>();
        for (Member member : this.members.values()) {
            MembershipState state = member.agent().state();
            if (state != MembershipState.STOPPED && state != MembershipState.LEFT) {
                running.add(member);
            }
        }
        return running;
    }

    /**
     * Kills a silo: it answers no probes and its agent stops without telling the table.
     */
    void kill(String siloId) {
        this.network.down(siloId);
        member(siloId).agent().halt();
    }

    void advance(Duration duration) {
        this.scheduler.advance(duration);
    }

    void advanceSeconds(long seconds) {
        advance(Duration.ofSeconds(seconds));
    }

    SiloStatus statusSeenBy(String observer, String siloId) {
        return member(observer).agent()
            .current()
            .silo(siloId)
            .map(SiloEntry::status)
            .orElseThrow(() -> new AssertionError(observer + " has no entry for " + siloId));
    }

    @Override
    public void close() {
        for (Member member : this.members.values()) {
            member.agent().halt();
        }
    }

    record Member(String id, SiloMembership agent, PausableScheduler scheduler, TableConnection connection,
            RecordingListener events, RecordingMetrics metrics) {
    }
}
