package dev.quark.testkit.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.quark.actor.ActorUnreachableException;
import dev.quark.cluster.CallForwardingException;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloProber;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.cluster.transport.RemoteActorException;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.cluster.transport.injvm.InJvmTransport;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a silo does with envelopes it cannot serve as asked, sent by an outsider on the cluster's network: it
 * answers with an error that names what is wrong, and goes on serving. And probes.
 */
class ClusterEnvelopeTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    private final BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();

    private TallyCluster cluster;

    private PayloadCodec codec;

    private InJvmTransport outsider;

    private SiloAddress outsiderAddress;

    private long nextId = 1;

    @BeforeEach
    void start() {
        this.cluster = new TallyCluster(this.environment, 3);
        this.codec = new JacksonPayloadCodec(JsonMapper.builder().build(), this.cluster.silo(0).runtime(), List.of());
        this.outsider = this.cluster.cluster().network().transport();
        this.outsiderAddress = this.outsider.start("outsider", this.received::add);
    }

    @AfterEach
    void close() {
        this.outsider.close();
        this.cluster.close();
    }

    @Test
    void unknownMethodIdIsAnsweredWithAnErrorNamingIt() throws Exception {
        String id = this.cluster.idOwnedBy("silo-0");
        Throwable failure = callFailure(0, request(0, "Tally", id, 0x12345, "[]", 0));
        assertThat(failure).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("Tally")
            .hasMessageContaining("0x00012345");
        assertThat(this.cluster.silo(0).get(Tally.class, id).add(1)).isEqualTo(1);
    }

    @Test
    void unknownActorTypeIsAnsweredWithAnErrorNamingIt() throws Exception {
        Throwable failure = callFailure(0, request(0, "Nobody", "x", methodId("add(long)"), "[1]", 0));
        assertThat(failure).isInstanceOf(ActorUnreachableException.class).hasMessageContaining("'Nobody'");
    }

    @Test
    void argumentsThatDoNotDecodeAreAnsweredWithAnErrorNamingTheMethod() throws Exception {
        String id = this.cluster.idOwnedBy("silo-0");
        Envelope garbled = request(0, "Tally", id, methodId("add(long)"), "{\"not\": \"arguments\"", 0);
        assertThat(callFailure(0, garbled)).isInstanceOf(PayloadCodecException.class)
            .hasMessageContaining("Tally.add()");
        assertThat(this.cluster.silo(0).get(Tally.class, id).add(2)).isEqualTo(2);
    }

    @Test
    void wellFormedRequestFromAnOutsiderIsServed() throws Exception {
        String id = this.cluster.idOwnedBy("silo-1");
        Envelope answer = send(1, request(1, "Tally", id, methodId("add(long)"), "[7]", 0));
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.RESPONSE);
        assertThat(new String(answer.payload(), StandardCharsets.UTF_8)).isEqualTo("7");
    }

    @Test
    void callForAnActorOfAnotherSiloIsPassedOnAndAnswered() throws Exception {
        String id = this.cluster.idOwnedBy("silo-2");
        Envelope answer = send(0, request(0, "Tally", id, methodId("where()"), "[]", 0));
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.RESPONSE);
        assertThat(new String(answer.payload(), StandardCharsets.UTF_8)).isEqualTo("\"silo-2\"");
        assertThat(answer.sourceSiloId()).as("the silo asked answers").isEqualTo("silo-0");
    }

    @Test
    void callPassedOnAsOftenAsAllowedIsRefusedNamingActorSilosAndVersions() throws Exception {
        String id = this.cluster.idOwnedBy("silo-2");
        long version = this.cluster.silo(0).routing().view().version();
        Throwable failure = callFailure(0, request(0, "Tally", id, methodId("where()"), "[]", 2));
        assertThat(failure).isInstanceOf(CallForwardingException.class)
            .hasMessageContaining("Tally/" + id)
            .hasMessageContaining("silo-0")
            .hasMessageContaining("silo-2")
            .hasMessageContaining("outsider")
            .hasMessageContaining("membership version " + version)
            .hasMessageContaining("2 times");
    }

    @Test
    void messageForAnEarlierIncarnationIsRefused() throws Exception {
        String id = this.cluster.idOwnedBy("silo-0");
        Envelope request = request(0, "Tally", id, methodId("where()"), "[]", 0);
        Envelope stale = new Envelope(request.messageId(), request.correlationId(), request.kind(),
                request.sourceSiloId(), request.sourceEpoch(), request.sourceAddress(), request.targetSiloId(),
                request.targetEpoch() + 100, request.actorType(), request.actorId(), request.methodId(),
                request.payload(), 0, null, Map.of(), request.deadlineEpochMillis(), 0, 0);
        assertThat(callFailure(0, stale)).isInstanceOf(SiloUnavailableException.class)
            .hasMessageContaining("incarnation");
    }

    @Test
    void answersFromAnotherSiloThanTheOneAskedCompleteNoCall() throws Exception {
        String id = this.cluster.idOwnedBy("silo-1");
        CompletableFuture<String> held = CompletableFuture.supplyAsync(
                () -> this.cluster.silo(0).get(Tally.class, id).hold("forged-answers"),
                (task) -> Thread.ofVirtual().start(task));
        await().atMost(Duration.ofSeconds(10)).until(() -> this.environment.reached("forged-answers"));
        // Silo 0's message ids are a counter: its answer to this call is numbered after its waiting call to silo 1.
        long latest = send(0, request(0, "Tally", this.cluster.idOwnedBy("silo-0"), methodId("where()"), "[]", 0))
            .messageId();
        SiloEntry asker = entry(0);
        byte[] forged = "\"forged\"".getBytes(StandardCharsets.UTF_8);
        for (long correlation = Math.max(1, latest - 5_000); correlation < latest; correlation++) {
            long messageId = this.nextId++;
            this.outsider.send(asker.address(), new Envelope(messageId, correlation, Envelope.Kind.RESPONSE,
                    "outsider", 1, this.outsiderAddress, asker.siloId(), asker.epoch(), "Tally", id, 0, forged, 0, null,
                    Map.of(), System.currentTimeMillis() + 10_000, 0, 0));
        }
        // Answered after the forged answers were handled: one sender's envelopes arrive in order.
        send(0, request(0, "Tally", this.cluster.idOwnedBy("silo-0"), methodId("where()"), "[]", 0));
        assertThat(held).as("still waiting for silo 1's answer").isNotDone();
        this.environment.open("forged-answers");
        assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo("silo-1");
    }

    @Test
    void siloThatIsNotServingRefusesCalls() throws Exception {
        String id = this.cluster.idOwnedBy("silo-1");
        this.cluster.cluster().declareDead(1);
        Envelope request = request(1, "Tally", id, methodId("where()"), "[]", 0);
        assertThat(callFailure(1, request)).isInstanceOf(SiloNotServingException.class)
            .hasMessageContaining("silo-1")
            .hasMessageContaining("not serving");
    }

    @Test
    void probesTellALiveSiloFromACutLinkFromADeadSilo() {
        SiloProber prober = this.cluster.silo(0).routing().prober();
        SiloEntry one = entry(1);
        SiloEntry two = entry(2);
        Duration timeout = Duration.ofSeconds(2);
        assertThat(prober.probe(one, timeout).toCompletableFuture()).succeedsWithin(timeout.plusSeconds(1));
        this.cluster.cluster().network().cut("silo-0", "silo-1");
        assertThat(prober.probe(one, timeout).toCompletableFuture()).failsWithin(timeout.plusSeconds(1))
            .withThrowableThat()
            .havingRootCause()
            .isInstanceOf(SiloUnreachableException.class)
            .withMessageContaining("cut");
        assertThat(prober.probeIndirectly(two, one, timeout).toCompletableFuture()).as("silo-2 still reaches silo-1")
            .succeedsWithin(timeout.plusSeconds(1));
        this.cluster.cluster().killSilo(1);
        assertThat(prober.probeIndirectly(two, one, timeout).toCompletableFuture()).failsWithin(timeout.plusSeconds(1))
            .withThrowableThat()
            .havingRootCause()
            .isInstanceOf(SiloUnreachableException.class)
            .withMessageContaining("silo-2 could not reach silo silo-1");
    }

    @Test
    void probeForAnEarlierIncarnationFails() {
        SiloEntry one = entry(1);
        SiloEntry older = new SiloEntry(one.siloId(), one.address(), one.startTime(), one.status(),
                one.lastHeartbeat(), one.epoch() - 1, one.actorTypes(), one.suspicions());
        assertThat(this.cluster.silo(0).routing().prober().probe(older, Duration.ofSeconds(2)).toCompletableFuture())
            .failsWithin(Duration.ofSeconds(3))
            .withThrowableThat()
            .havingRootCause()
            .withMessageContaining("incarnation");
    }

    private SiloEntry entry(int silo) {
        return this.cluster.silo(0).routing().view().silo("silo-" + silo).orElseThrow();
    }

    private Envelope request(int silo, String type, String id, int methodId, String json, int forwards) {
        SiloEntry target = entry(silo);
        long messageId = this.nextId++;
        return new Envelope(messageId, messageId, Envelope.Kind.REQUEST, "outsider", 1, this.outsiderAddress,
                target.siloId(), target.epoch(), type, id, methodId, json.getBytes(StandardCharsets.UTF_8), 7, null,
                Map.of(), System.currentTimeMillis() + 10_000, 0, forwards);
    }

    private Envelope send(int silo, Envelope request) throws InterruptedException {
        this.outsider.send(entry(silo).address(), request);
        Envelope answer = this.received.poll(10, TimeUnit.SECONDS);
        assertThat(answer).as("the answer to " + request).isNotNull();
        assertThat(answer.correlationId()).isEqualTo(request.messageId());
        return answer;
    }

    private Throwable callFailure(int silo, Envelope request) throws InterruptedException {
        Envelope answer = send(silo, request);
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.ERROR);
        Throwable failure = this.codec.decodeFailure(answer.payload());
        assertThat(failure).isNotInstanceOf(RemoteActorException.class);
        return failure;
    }

    static int methodId(String signature) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(signature.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(hash, 0, 4).getInt();
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
