package dev.quark.testkit.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import dev.quark.cluster.client.ClientMembership;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.routing.SiloRouting;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.injvm.InJvmTransport;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A silo that leaves gracefully asks the cluster clients it holds links to whether they read its leave, as it asks
 * the silos: a client told of the leave reads the table at once and stops routing to the leaver, so its calls keep
 * succeeding while the leaver's actors move, even when it would otherwise learn of the leave only at its next
 * read of the table (a table polled rather than watched). A client that never answers delays the leave by at most
 * the wait for answers (3 s here), not by the leave's timeout.
 */
class ClusterClientLeaveTests {

    /** Longer than any test: the client learns of a change only when something asks it to read the table. */
    private static final Duration RARE_READS = Duration.ofMinutes(10);

    private final TallyEnvironment environment = new TallyEnvironment();

    private TallyCluster cluster;

    private SiloRouting clientRouting;

    private ActorRuntime client;

    private ClientMembership clientMembership;

    @AfterEach
    void close() {
        if (this.clientMembership != null) {
            this.clientMembership.close();
        }
        if (this.clientRouting != null) {
            this.clientRouting.close();
        }
        if (this.client != null) {
            this.client.close();
        }
        if (this.cluster != null) {
            this.cluster.close();
        }
    }

    @Test
    void aClientThatHasNotReadTheLeaveYetIsToldAndRoutesToTheNewOwnerOnceTheLeaverIsGone() {
        this.cluster = new TallyCluster(this.environment, 3);
        startClient();
        String id = this.cluster.idOwnedBy("silo-1");
        assertThat(this.client.get(Tally.class, id).add(1)).isEqualTo(1);

        this.cluster.cluster().stopSilo(1);

        SiloEntry leaver = this.clientRouting.view().membership().silos().get("silo-1");
        assertThat(this.client.get(Tally.class, id).add(1)).as("handed over with its state").isEqualTo(2);
        assertThat(leaver == null || leaver.status() != SiloStatus.ACTIVE)
            .as("the client read the leave before the leaver went: %s", leaver)
            .isTrue();
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void callsFromAClientKeepSucceedingWhileALeavingSilosActorsMove() throws Exception {
        this.cluster = new TallyCluster(this.environment, 3);
        startClient();
        List<String> ids = IntStream.range(0, 100).mapToObj((i) -> "tally-" + i).toList();
        ids.forEach((id) -> this.client.get(Tally.class, id).add(1));
        ClientCallers callers = new ClientCallers(this.client, 8, ids);
        try {
            await().atMost(TallyEnvironment.timeout()).until(() -> callers.calls.get() > 300);

            this.cluster.cluster().stopSilo(1);
            int leftAt = callers.calls.get();
            await().atMost(TallyEnvironment.timeout()).until(() -> callers.calls.get() > leftAt + 300);
        }
        finally {
            callers.close();
        }

        assertThat(callers.failures).isEmpty();
        assertThat(this.environment.duplicates()).isEmpty();
        for (String id : ids) {
            assertThat(this.client.get(Tally.class, id).total()).as(id).isEqualTo(1 + callers.added(id));
        }
    }

    @Test
    void aClientThatNeverAnswersIsToldOfTheLeaveAndDelaysItByAtMostTheWaitForAnswers() throws Exception {
        this.cluster = new TallyCluster(this.environment,
                TallyCluster.builder(this.environment, 3, (runtime) -> {
                }).stopTimeout(Duration.ofSeconds(60)));
        BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
        InJvmTransport mute = this.cluster.cluster().network().transport();
        SiloAddress muteAddress = mute.start("client-mute", received::add);
        try {
            // Something from the client, so that the silo holds a link to it: a notice no service handles.
            TestSilo leaver = this.cluster.silo(1);
            mute.send(leaver.address(), new Envelope(1, 1, Envelope.Kind.NOTICE, "client-mute", 0, muteAddress,
                    "silo-1", 0, null, null, 0, new byte[0], 0, null, Map.of("quark-notice-topic", "quark-test-nothing"),
                    0, 0, 0)).toCompletableFuture().get(10, TimeUnit.SECONDS);
            long started = System.nanoTime();

            this.cluster.cluster().stopSilo(1);

            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(received).anySatisfy((envelope) -> {
                assertThat(envelope.kind()).isEqualTo(Envelope.Kind.NOTICE);
                assertThat(envelope.targetSiloId()).isEqualTo("client-mute");
                assertThat(envelope.metadata()).containsEntry("quark-notice-topic", "quark-leaving");
            });
            assertThat(took).as("the wait for answers is 3 s; the leave's timeout 60 s")
                .isLessThan(Duration.ofSeconds(20));
        }
        finally {
            mute.close();
        }
    }

    /** A cluster client beside the test cluster's silos, over its network, reading its table only when asked. */
    private void startClient() {
        this.clientRouting = SiloRouting.builder("client-1", this.cluster.cluster().network().transport()).build();
        ActorRuntime.Builder builder = ActorRuntime.builder()
            .actor(TallyActor.class, () -> new TallyActor(this.environment, "client-1"));
        this.client = this.clientRouting.configure(builder).build();
        this.clientRouting.listen(this.client,
                new JacksonPayloadCodec(JsonMapper.builder().build(), this.client, List.of()));
        this.clientMembership = new ClientMembership("client-1", new PolledTable(this.cluster.cluster().membership()),
                150, RARE_READS);
        this.clientRouting.follow(this.clientMembership);
        this.clientMembership.start();
        await().atMost(TallyEnvironment.timeout()).until(() -> this.clientMembership.activeSilos().size() == 3);
    }

    /** A membership table that gives no hints of its changes: it is read only when the reader chooses to. */
    private record PolledTable(MembershipProvider table) implements MembershipProvider {

        @Override
        public MembershipSnapshot read() {
            return this.table.read();
        }

        @Override
        public boolean write(SiloEntry entry, long expectedVersion) {
            return this.table.write(entry, expectedVersion);
        }

        @Override
        public boolean remove(String siloId, long expectedVersion) {
            return this.table.remove(siloId, expectedVersion);
        }

        @Override
        public boolean heartbeat(String siloId, long epoch, Instant at) {
            return this.table.heartbeat(siloId, epoch, at);
        }

        @Override
        public Watch watch(Runnable listener) {
            return () -> {
            };
        }
    }

    /** Callers that keep adding 1 to random tallies through the client until stopped. */
    private static final class ClientCallers implements AutoCloseable {

        private final Map<String, AtomicLong> added = new ConcurrentHashMap<>();

        private final List<Throwable> failures = new CopyOnWriteArrayList<>();

        private final AtomicInteger calls = new AtomicInteger();

        private final List<Thread> threads;

        private volatile boolean running = true;

        ClientCallers(ActorRuntime client, int count, List<String> ids) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            this.threads = IntStream.range(0, count).mapToObj((i) -> Thread.ofVirtual().start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (this.running && System.nanoTime() < until) {
                    String id = ids.get(random.nextInt(ids.size()));
                    try {
                        client.get(Tally.class, id).add(1);
                        this.added.computeIfAbsent(id, (key) -> new AtomicLong()).incrementAndGet();
                    }
                    catch (RuntimeException ex) {
                        this.failures.add(ex);
                    }
                    this.calls.incrementAndGet();
                }
            })).toList();
        }

        long added(String id) {
            AtomicLong count = this.added.get(id);
            return (count != null) ? count.get() : 0;
        }

        @Override
        public void close() throws InterruptedException {
            this.running = false;
            for (Thread thread : this.threads) {
                thread.join(Duration.ofSeconds(30));
            }
        }
    }
}
