package dev.quark.cluster.transport.jackson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import com.example.payloads.AccountNotFoundException;
import com.example.payloads.InsufficientFundsException;
import dev.quark.actor.MailboxFullException;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.cluster.transport.RemoteActorException;
import dev.quark.cluster.transport.jackson.fixtures.Account;
import dev.quark.cluster.transport.jackson.fixtures.Bank;
import dev.quark.eventsourcing.TruncatedStreamException;
import dev.quark.runtime.ActorRuntime;
import org.example.forbidden.ForbiddenException;
import org.example.forbidden.ForbiddenWitness;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.cbor.CBORMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Failures crossing silos: rebuilt as their own type only when allowed, otherwise as
 * {@link RemoteActorException}; never a class the sender names outside the allow-list.
 */
class FailurePayloadTests {

    @AutoClose
    private final ActorRuntime runtime = ActorRuntime.builder().build();

    private final PayloadCodec codec = new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime,
            List.of("com.example.payloads"));

    static Stream<Throwable> jdkExceptions() {
        return Stream.of(new IllegalArgumentException("bad amount"), new IllegalStateException("closed"),
                new UnsupportedOperationException("read-only"), new NullPointerException("id"),
                new ArithmeticException("/ by zero"), new IndexOutOfBoundsException("Index 3 out of bounds"),
                new NoSuchElementException("empty"), new java.util.ConcurrentModificationException("changed"),
                new TimeoutException("too slow"), new IOException("disk"), new RuntimeException("plain"),
                new NumberFormatException("For input string: \"x\""));
    }

    @ParameterizedTest
    @MethodSource("jdkExceptions")
    void theJdksCommonExceptionsAreRebuiltWithTypeAndMessage(Throwable thrown) {
        Throwable decoded = roundTrip(thrown);
        assertThat(decoded).isExactlyInstanceOf(thrown.getClass()).hasMessage(thrown.getMessage());
        assertThat(decoded.getSuppressed()).singleElement().isInstanceOfSatisfying(RemoteActorException.class,
                (mark) -> assertThat(mark.remoteType()).isEqualTo(thrown.getClass().getName()));
    }

    @Test
    void quarksOwnAndTheApplicationsAllowedExceptionsAreRebuilt() {
        assertThat(roundTrip(new ActorUnreachableException("no silo hosts Bank")))
            .isExactlyInstanceOf(ActorUnreachableException.class).hasMessage("no silo hosts Bank");
        assertThat(roundTrip(new PayloadCodecException("bad bytes"))).isExactlyInstanceOf(PayloadCodecException.class);
        assertThat(roundTrip(new InsufficientFundsException("holds 3")))
            .isExactlyInstanceOf(InsufficientFundsException.class).hasMessage("holds 3");
    }

    @Test
    void aFullMailboxCrossesAsItselfWithItsActorAndCapacity() {
        MailboxFullException full = new MailboxFullException("Bank/b-1", 1000, java.time.Duration.ofMillis(250));
        assertThat(roundTrip(full)).isExactlyInstanceOf(MailboxFullException.class)
            .hasMessage(full.getMessage())
            .satisfies((rebuilt) -> {
                assertThat(((MailboxFullException) rebuilt).getActor()).isEqualTo("Bank/b-1");
                assertThat(((MailboxFullException) rebuilt).getCapacity()).isEqualTo(1000);
            });
        assertThat(new MailboxFullException("some other text")).satisfies((other) -> {
            assertThat(other.getActor()).isEmpty();
            assertThat(other.getCapacity()).isEqualTo(-1);
        });
    }

    @Test
    void anExceptionOutsideTheAllowListIsARemoteActorExceptionAndIsNeverLoaded() {
        RecordingClassLoader loader = new RecordingClassLoader();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        PayloadCodec codec;
        thread.setContextClassLoader(loader);
        try {
            codec = new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime, List.of("com.example.payloads"));
        }
        finally {
            thread.setContextClassLoader(previous);
        }
        String forbidden = "org.example.forbidden.ForbiddenException";
        Throwable decoded = codec.decodeFailure(codec.encodeFailure(new RemoteActorException(forbidden, "no")));

        assertThat(decoded).isExactlyInstanceOf(RemoteActorException.class).hasMessage(forbidden + ": no");
        assertThat(((RemoteActorException) decoded).remoteType()).isEqualTo(forbidden);
        assertThat(ForbiddenWitness.INITIALISED).isFalse();
        assertThat(ForbiddenException.CONSTRUCTED).hasValue(0);
        assertThat(loader.requested).doesNotContain(forbidden);

        codec.decodeFailure(codec.encodeFailure(new InsufficientFundsException("x")));
        assertThat(loader.requested).contains(InsufficientFundsException.class.getName());
    }

    @Test
    void namesOfDangerousOrMadeUpClassesAreNeverLookedUp() {
        RecordingClassLoader loader = new RecordingClassLoader();
        ExceptionFactories factories = new ExceptionFactories(new ExceptionAllowList(List.of("com.example.payloads")),
                loader);
        for (String name : List.of("java.lang.Runtime", "javax.script.ScriptEngineManager",
                "com.sun.rowset.JdbcRowSetImpl", "java.lang.ProcessBuilder", "java.lang.OutOfMemoryError",
                "com.example.payloadsX.Evil", "com.example.Evil", "../../etc/passwd", "dev..quark.X", "",
                "com.example.payloads.Bad Name", "x".repeat(600))) {
            assertThat(factories.create(name, "m", null)).as(name).isNull();
        }
        assertThat(loader.requested).isEmpty();
    }

    @Test
    void allowedNamesOfMissingOrUnsuitableClassesBecomeRemoteActorExceptions() {
        for (String name : List.of("dev.quark.NoSuchException", "com.example.payloads.Missing",
                "dev.quark.cluster.transport.jackson.fixtures.Money", Account.class.getName())) {
            assertThat(this.codec.decodeFailure(this.codec.encodeFailure(new RemoteActorException(name, "m"))))
                .as(name).isExactlyInstanceOf(RemoteActorException.class).hasMessage(name + ": m");
        }
    }

    @Test
    void typesWithoutAMessageConstructorOrThatRewriteTheMessageBecomeRemoteActorExceptions() {
        Throwable notFound = roundTrip(new AccountNotFoundException("a-1"));
        assertThat(notFound).isExactlyInstanceOf(RemoteActorException.class)
            .hasMessage(AccountNotFoundException.class.getName() + ": No account a-1");
    }

    @Test
    void quarksOwnTypesAreRebuiltFromTheirFieldsAndArriveAsRemoteWhenTheFieldsAreMissing() {
        Throwable stale = this.codec.decodeFailure(("{\"type\":\"dev.quark.state.ConcurrencyException\","
                + "\"message\":\"changed\",\"fields\":{\"keyActorType\":\"Bank\",\"keyActorId\":\"b\","
                + "\"keyName\":\"main\",\"expectedVersion\":3,\"actualVersion\":5,\"unknown\":{\"x\":1}}}")
            .getBytes(StandardCharsets.UTF_8));
        assertThat(stale).isInstanceOfSatisfying(dev.quark.state.ConcurrencyException.class, (rebuilt) -> {
            assertThat(rebuilt.getKey()).isEqualTo(new dev.quark.state.StateKey("Bank", "b", "main"));
            assertThat(rebuilt.getExpectedVersion()).isEqualTo(3);
            assertThat(rebuilt.getActualVersion()).isEqualTo(5);
        });
        Throwable deadlock = this.codec.decodeFailure(("{\"type\":\"dev.quark.actor.DeadlockException\","
                + "\"message\":\"Deadlock between call chains: A waits on B\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(deadlock).isExactlyInstanceOf(RemoteActorException.class)
            .hasMessage("dev.quark.actor.DeadlockException: Deadlock between call chains: A waits on B");
    }

    @Test
    void aTruncatedStreamCrossesAsItselfWithItsVersions() {
        TruncatedStreamException truncated = new TruncatedStreamException("orders-1", 40, 12);
        assertThat(roundTrip(truncated)).isInstanceOfSatisfying(TruncatedStreamException.class, (rebuilt) -> {
            assertThat(rebuilt).isExactlyInstanceOf(TruncatedStreamException.class).hasMessage(truncated.getMessage());
            assertThat(rebuilt.getStream()).isEqualTo("orders-1");
            assertThat(rebuilt.getTruncatedVersion()).isEqualTo(40);
            assertThat(rebuilt.getSnapshotVersion()).isEqualTo(12);
        });
        Throwable withoutVersions = this.codec.decodeFailure(("{\"type\":\"" + TruncatedStreamException.class.getName()
                + "\",\"message\":\"truncated\",\"fields\":{\"stream\":\"orders-1\"}}")
            .getBytes(StandardCharsets.UTF_8));
        assertThat(withoutVersions).isExactlyInstanceOf(RemoteActorException.class)
            .hasMessage(TruncatedStreamException.class.getName() + ": truncated");
    }

    @Test
    void anEventStreamConflictKeepsItsOwnMessageAndItsCause() {
        dev.quark.eventsourcing.ConcurrencyException store = new dev.quark.eventsourcing.ConcurrencyException(
                "orders-1", 3, 4);
        dev.quark.eventsourcing.ConcurrencyException truncation = new dev.quark.eventsourcing.ConcurrencyException(
                "orders-1", 3, 4, "Event stream 'orders-1' changed behind this activation: nothing was truncated",
                store);
        assertThat(roundTrip(truncation)).isInstanceOfSatisfying(dev.quark.eventsourcing.ConcurrencyException.class,
                (rebuilt) -> {
                    assertThat(rebuilt).hasMessage(truncation.getMessage());
                    assertThat(rebuilt.getExpectedVersion()).isEqualTo(3);
                    assertThat(rebuilt.getActualVersion()).isEqualTo(4);
                    assertThat(rebuilt.getCause()).isInstanceOf(dev.quark.eventsourcing.ConcurrencyException.class)
                        .hasMessage(store.getMessage());
                });
    }

    @Test
    void errorsAreNeverRebuilt() {
        Throwable decoded = roundTrip(new AssertionError("invariant"));
        assertThat(decoded).isExactlyInstanceOf(RemoteActorException.class)
            .hasMessage("java.lang.AssertionError: invariant");
        decoded = roundTrip(new OutOfMemoryError("heap"));
        assertThat(decoded).isExactlyInstanceOf(RemoteActorException.class);
    }

    @Test
    void theCauseChainTravelsAndIsRebuiltWhereAllowed() {
        Throwable thrown = new IllegalStateException("outer",
                new UnbuildableCause("middle", new IOException("inner")));
        Throwable decoded = roundTrip(thrown);
        assertThat(decoded).isExactlyInstanceOf(IllegalStateException.class).hasMessage("outer");
        assertThat(decoded.getCause()).isExactlyInstanceOf(RemoteActorException.class)
            .hasMessage(UnbuildableCause.class.getName() + ": middle");
        assertThat(decoded.getCause().getCause()).isExactlyInstanceOf(IOException.class).hasMessage("inner");
        UncheckedIOException io = new UncheckedIOException("write failed", new IOException("disk full"));
        assertThat(roundTrip(io)).isExactlyInstanceOf(UncheckedIOException.class).hasMessage("write failed")
            .cause().isExactlyInstanceOf(IOException.class).hasMessage("disk full");
    }

    @Test
    void theCauseChainIsBoundedAndCyclesEnd() {
        Throwable deep = new IllegalStateException("0");
        for (int i = 1; i < 50; i++) {
            deep = new IllegalStateException(Integer.toString(i), deep);
        }
        Throwable decoded = roundTrip(deep);
        int depth = 0;
        for (Throwable cause = decoded.getCause(); cause != null; cause = cause.getCause()) {
            depth++;
        }
        assertThat(depth).isEqualTo(FailureCodec.MAX_CAUSES);

        IllegalStateException first = new IllegalStateException("first");
        IllegalArgumentException second = new IllegalArgumentException("second", first);
        first.initCause(second);
        assertThat(roundTrip(first)).hasMessage("first");
    }

    @Test
    void aFailureRelayedThroughSeveralSilosKeepsItsOriginalTypeName() {
        Throwable once = roundTrip(new UnbuildableCause("deep down", null));
        Throwable twice = roundTrip(once);
        assertThat(twice).isExactlyInstanceOf(RemoteActorException.class)
            .hasMessage(UnbuildableCause.class.getName() + ": deep down");
        Throwable rebuilt = roundTrip(roundTrip(new IllegalStateException("relayed")));
        assertThat(rebuilt).isExactlyInstanceOf(IllegalStateException.class).hasMessage("relayed");
        assertThat(roundTrip(new RemoteActorException("x.Y", null))).hasMessage("x.Y");
    }

    @Test
    void futureWrappersAreUnwrapped() {
        assertThat(roundTrip(new CompletionException(new IllegalStateException("inside"))))
            .isExactlyInstanceOf(IllegalStateException.class).hasMessage("inside");
        assertThat(roundTrip(new ExecutionException(new IllegalArgumentException("inside"))))
            .isExactlyInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullMessagesStayNullAndLongOnesAreCut() {
        assertThat(roundTrip(new IllegalStateException())).isExactlyInstanceOf(IllegalStateException.class)
            .hasMessage(null);
        String longMessage = "m".repeat(100_000);
        Throwable decoded = roundTrip(new IllegalStateException(longMessage));
        assertThat(decoded.getMessage()).hasSize(FailureCodec.MAX_MESSAGE_LENGTH + 3).endsWith("...");
        byte[] forged = ("{\"type\":\"" + "a.".repeat(1000) + "X\",\"message\":\"" + longMessage + "\"}")
            .getBytes(StandardCharsets.UTF_8);
        RemoteActorException remote = (RemoteActorException) this.codec.decodeFailure(forged);
        assertThat(remote.remoteType()).hasSize(ExceptionAllowList.MAX_TYPE_NAME_LENGTH + 3);
        assertThat(remote.getMessage()).hasSizeLessThan(5000);
    }

    @Test
    void failuresTravelInBinaryFormatsToo() {
        PayloadCodec cbor = new JacksonPayloadCodec(CBORMapper.builder().build(), this.runtime,
                List.of("com.example.payloads"));
        Throwable decoded = cbor.decodeFailure(cbor.encodeFailure(new InsufficientFundsException("short")));
        assertThat(decoded).isExactlyInstanceOf(InsufficientFundsException.class).hasMessage("short");
    }

    @Test
    void bytesThatAreNoFailureDecodeToAPayloadCodecExceptionInsteadOfThrowing() {
        for (String bytes : List.of("", "nope", "[]", "{}", "{\"type\":42}", "{\"message\":\"m\"}", "{\"type\":\"x\"",
                "{\"type\":\"java.lang.IllegalStateException\"} trailing", "{\"type\":\"a\",\"causes\":[{\"type\":")) {
            assertThat(this.codec.decodeFailure(bytes.getBytes(StandardCharsets.UTF_8))).as(bytes)
                .isExactlyInstanceOf(PayloadCodecException.class)
                .hasMessageStartingWith("Cannot decode the failure of a call");
        }
        assertThat(this.codec.decodeFailure(
                "{\"type\":\"java.lang.IllegalStateException\",\"future\":{\"a\":[1]},\"causes\":[1,{\"type\":\"x.Y\"}]}"
                    .getBytes(StandardCharsets.UTF_8)))
            .isExactlyInstanceOf(IllegalStateException.class).cause().isInstanceOf(RemoteActorException.class);
    }

    @Test
    void allowedPackagesMustBePackageNames() {
        for (String bad : List.of("", " ", "com..example", "com.example.*", "com/example", "1com")) {
            assertThatIllegalArgumentException()
                .isThrownBy(() -> new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime, List.of(bad)))
                .withMessageContaining("'" + bad + "'");
        }
        assertThat(new ExceptionAllowList(List.of("com.example.")).allows("com.example.sub.Failure")).isTrue();
        assertThat(new ExceptionAllowList(List.of("com.example")).allows("com.examples.Failure")).isFalse();
    }

    @Test
    void failuresThrownByARemoteActorReachTheCallerAsRebuiltOrRemoteExceptions() {
        try (LoopbackSilos silos = new LoopbackSilos(JsonMapper.builder().build(), List.of("com.example.payloads"))) {
            Bank bank = silos.client.get(Bank.class, "central");
            assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> bank.fail("state", "stopped"))
                .withMessage("stopped");
            assertThatExceptionOfType(InsufficientFundsException.class)
                .isThrownBy(() -> bank.transfer(silos.client.get(Account.class, "poor"),
                        silos.client.get(Account.class, "rich"), 10))
                .withMessage("Account poor holds 0, not 10");
            assertThatExceptionOfType(RemoteActorException.class).isThrownBy(() -> bank.fail("error", "broken"))
                .withMessage("java.lang.AssertionError: broken");
            assertThatExceptionOfType(UncheckedIOException.class).isThrownBy(() -> bank.fail("io", "full"))
                .havingCause()
                .isExactlyInstanceOf(IOException.class)
                .withMessage("disk: full");
        }
    }

    private Throwable roundTrip(Throwable failure) {
        return this.codec.decodeFailure(this.codec.encodeFailure(failure));
    }

    /** Allowed by its package, but without a public message constructor. */
    public static final class UnbuildableCause extends RuntimeException {

        private static final long serialVersionUID = 1L;

        UnbuildableCause(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final class RecordingClassLoader extends ClassLoader {

        final List<String> requested = new java.util.concurrent.CopyOnWriteArrayList<>();

        RecordingClassLoader() {
            super(FailurePayloadTests.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            this.requested.add(name);
            return super.loadClass(name, resolve);
        }
    }
}
