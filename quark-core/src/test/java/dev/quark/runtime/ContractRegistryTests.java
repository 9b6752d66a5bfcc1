package dev.quark.runtime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.actor.Idempotent;
import dev.quark.actor.OneWay;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.WireName;
import dev.quark.runtime.MethodDescriptor.CallKind;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import dev.quark.runtime.routing.ActorLocation;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ContractRegistryTests {

    @Test
    void methodIdIsTheStableHashOfWireNameAndErasedParameterTypes() throws Exception {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(CounterActor.class).build()) {
            MethodDescriptor add = runtime.inbound().method("Counter", idOf("add(long)"));
            assertThat(add.name()).isEqualTo("add");
            assertThat(add.contract()).isEqualTo(Counter.class);
            assertThat(add.parameterTypes()).containsExactly(long.class);
            assertThat(add.kind()).isEqualTo(CallKind.ONE_WAY);
            MethodDescriptor async = runtime.inbound().method("Counter", idOf("incrementAsync()"));
            assertThat(async.resultType()).isEqualTo(Long.class);
            assertThat(async.kind()).isEqualTo(CallKind.ASYNCHRONOUS);
        }
    }

    @Test
    void idempotentMarkIsReadAtRegistrationIntoTheMethodDescriptor() throws Exception {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(SetterActor.class).build()) {
            assertThat(runtime.inbound().method("Setter", idOf("set(long)")).idempotent()).isTrue();
            assertThat(runtime.inbound().method("Setter", idOf("add(long)")).idempotent()).isFalse();
        }
    }

    @Test
    void renamedContractAndMethodKeepTheirWireIdentityThroughWireName() throws Exception {
        try (ActorRuntime old = ActorRuntime.builder().actor(AccountV1Actor.class).build();
                ActorRuntime renamed = ActorRuntime.builder().actor(RenamedAccountActor.class).build()) {
            int id = idOf("deposit(long)");
            assertThat(old.inbound().method("AccountV1", id).name()).isEqualTo("deposit");
            assertThat(renamed.inbound().method("AccountV1", id).name()).isEqualTo("credit");
            assertThat(renamed.actorTypes()).extracting(ActorTypeView::name).containsExactly("AccountV1");
        }
    }

    @Test
    void wireNamesResolveToTheContractsTheRuntimeKnows() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(RenamedAccountActor.class).build()) {
            assertThat(runtime.wireNameOf(RenamedAccount.class)).isEqualTo("AccountV1");
            assertThat(runtime.contractNamed("AccountV1")).isEqualTo(RenamedAccount.class);
            assertThat(runtime.contractNamed("RenamedAccount")).isNull();
            assertThat(runtime.contractNamed("Remote")).isNull();
            assertThat(runtime.wireNameOf(Remote.class)).isEqualTo("Remote");
            assertThat(runtime.contractNamed("Remote")).isEqualTo(Remote.class);
            assertThatIllegalArgumentException().isThrownBy(() -> runtime.wireNameOf(CounterActor.class))
                .withMessageContaining(CounterActor.class.getName() + " is not an interface");
        }
    }

    @Test
    void twoMethodsWithOneWireSignatureAreRefusedNamingBoth() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActorRuntime.builder().actor(ClashingActor.class).build())
            .withMessageContaining(Clashing.class.getName() + ".first()")
            .withMessageContaining(Clashing.class.getName() + ".second()")
            .withMessageContaining("same method id");
        try (ActorRuntime runtime = ActorRuntime.builder().build()) {
            assertThatIllegalArgumentException().isThrownBy(() -> runtime.get(Clashing.class, "x"))
                .withMessageContaining("same method id");
        }
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActorRuntime.builder().callableContract(Clashing.class).build())
            .withMessageContaining("same method id");
    }

    @Test
    void blankWireNameIsRefusedNamingTheContract() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActorRuntime.builder().callableContract(BlankName.class).build())
            .withMessageContaining(BlankName.class.getName())
            .withMessageContaining("blank @WireName");
    }

    @Test
    void twoContractsWithOneWireNameAreRefusedNamingBoth() {
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> ActorRuntime.builder().actor(CounterActor.class).callableContract(FakeCounter.class).build())
            .withMessageContaining(Counter.class.getName())
            .withMessageContaining(FakeCounter.class.getName())
            .withMessageContaining("same wire name 'Counter'");
    }

    @Test
    void referencesOfOneContractShareOneProxyClass() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(CounterActor.class).build()) {
            Counter first = runtime.get(Counter.class, "a");
            Counter second = runtime.get(Counter.class, "b");
            assertThat(first.getClass()).isSameAs(second.getClass());
            assertThat(first.increment()).isEqualTo(1);
            assertThat(second.increment()).isEqualTo(1);
            assertThat(first).isEqualTo(runtime.get(Counter.class, "a")).isNotEqualTo(second);
        }
    }

    @Test
    void callToAContractHostedElsewhereGoesToTheRemoteSenderWithItsWireIdentity() throws Exception {
        List<ActorCall> sent = new CopyOnWriteArrayList<>();
        try (ActorRuntime runtime = ActorRuntime.builder()
            .callableContract(Remote.class)
            .actorTypeNames((contract, wireName) -> "Hosted" + wireName)
            .actorLocator((address) -> ActorLocation.remote("silo-2"))
            .remoteCallSender((silo, call) -> {
                sent.add(call);
                return CompletableFuture.completedFuture(silo + ":" + call.arguments());
            })
            .build()) {
            Remote remote = runtime.get(Remote.class, "r-1");
            assertThat(remote.echo("hello")).isEqualTo("silo-2:[hello]");
            assertThat(remote.echoAsync("again")).succeedsWithin(java.time.Duration.ofSeconds(5))
                .isEqualTo("silo-2:[again]");
            remote.tell("bye");
            assertThat(sent).hasSize(3);
            ActorCall first = sent.getFirst();
            assertThat(first.address()).isEqualTo(new ActorAddress("HostedRemote", "r-1"));
            assertThat(first.method().id()).isEqualTo(idOf("echo(java.lang.String)"));
            assertThat(first.deadlineEpochMillis()).isGreaterThan(System.currentTimeMillis());
            assertThat(sent.get(2).method().kind()).isEqualTo(CallKind.ONE_WAY);
        }
    }

    @Test
    void failureReportedByTheRemoteSiloReachesTheCaller() {
        try (ActorRuntime runtime = ActorRuntime.builder()
            .actorLocator((address) -> ActorLocation.remote("silo-2"))
            .remoteCallSender((silo, call) -> CompletableFuture.failedFuture(new IllegalStateException("remote says no")))
            .build()) {
            assertThatExceptionOfType(IllegalStateException.class)
                .isThrownBy(() -> runtime.get(Remote.class, "r-1").echo("x"))
                .withMessage("remote says no");
        }
    }

    @Test
    void withoutATransportACallRoutedToAnotherSiloFailsClearly() {
        try (ActorRuntime runtime = ActorRuntime.builder()
            .actor(CounterActor.class)
            .actorLocator((address) -> ActorLocation.remote("silo-9"))
            .build()) {
            assertThatExceptionOfType(ActorUnreachableException.class)
                .isThrownBy(() -> runtime.get(Counter.class, "c").increment())
                .withMessageContaining("Counter/c.increment()")
                .withMessageContaining("silo-9")
                .withMessageContaining("no transport");
        }
    }

    @Test
    void badAddressesAndSeamSettingsAreRefusedClearly() {
        assertThatIllegalArgumentException().isThrownBy(() -> new ActorAddress(" ", "x"))
            .withMessage("Actor type name must not be blank (id x)");
        assertThatIllegalArgumentException().isThrownBy(() -> new ActorAddress("Counter", ""))
            .withMessage("Actor id must not be blank (type Counter)");
        assertThatExceptionOfType(NullPointerException.class)
            .isThrownBy(() -> ActorRuntime.builder().outgoingFilter(null))
            .withMessage("filter must not be null");
        assertThatExceptionOfType(NullPointerException.class)
            .isThrownBy(() -> ActorRuntime.builder().incomingFilter(null))
            .withMessage("filter must not be null");
        assertThatExceptionOfType(NullPointerException.class)
            .isThrownBy(() -> ActorRuntime.builder().actorLocator(null))
            .withMessage("locator must not be null");
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> ActorRuntime.builder().actorTypeNames((contract, wireName) -> " ")
                .callableContract(Remote.class)
                .build())
            .withMessageContaining(Remote.class.getName());
    }

    @Test
    void outgoingFilterThatReturnsNullFailsTheCallNamingTheFilter() {
        try (ActorRuntime runtime = ActorRuntime.builder().actor(CounterActor.class)
            .outgoingFilter(new dev.quark.runtime.filter.OutgoingCallFilter() {

                @Override
                public CompletionStage<Object> filter(dev.quark.runtime.filter.OutgoingCall call) {
                    return null;
                }

                @Override
                public String toString() {
                    return "broken-filter";
                }
            })
            .build()) {
            assertThatExceptionOfType(NullPointerException.class)
                .isThrownBy(() -> runtime.get(Counter.class, "c").increment())
                .withMessageContaining("broken-filter returned null");
        }
    }

    static int idOf(String signature) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(signature.getBytes(StandardCharsets.UTF_8));
        return java.nio.ByteBuffer.wrap(digest).getInt();
    }

    public interface AccountV1 extends Actor {

        long deposit(long amount);
    }

    public static class AccountV1Actor implements AccountV1 {

        @Override
        public long deposit(long amount) {
            return amount;
        }
    }

    @WireName("AccountV1")
    public interface RenamedAccount extends Actor {

        @WireName("deposit")
        long credit(long amount);
    }

    public static class RenamedAccountActor implements RenamedAccount {

        @Override
        public long credit(long amount) {
            return amount;
        }
    }

    public interface Clashing extends Actor {

        @WireName("same")
        void first();

        @WireName("same")
        void second();
    }

    public static class ClashingActor implements Clashing {

        @Override
        public void first() {
        }

        @Override
        public void second() {
        }
    }

    @WireName(" ")
    public interface BlankName extends Actor {

        void run();
    }

    @WireName("Counter")
    public interface FakeCounter extends Actor {

        void run();
    }

    public interface Remote extends Actor {

        String echo(String text);

        CompletionStage<String> echoAsync(String text);

        @OneWay
        void tell(String text);
    }

    public interface Setter extends Actor {

        @Idempotent
        void set(long value);

        void add(long amount);
    }

    @QuarkActor
    public static class SetterActor implements Setter {

        @Override
        public void set(long value) {
        }

        @Override
        public void add(long amount) {
        }
    }
}
