package dev.quark.cluster.routing;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.quark.actor.MailboxFullException;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.routing.InboundCall;
import dev.quark.runtime.routing.InboundCalls;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class MailboxWaitsTests {

    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void close() {
        this.release.countDown();
        this.executor.shutdownNow();
    }

    @Test
    void atMostTheConfiguredMailboxCapacityOfCallsWaitPerActor() {
        MailboxWaits waits = new MailboxWaits(this.executor);
        FullMailbox inbound = new FullMailbox(2);
        ActorAddress address = new ActorAddress("account", "acc-1");
        CompletableFuture<@Nullable Object> first = waits.deliver(call(address), inbound);
        CompletableFuture<@Nullable Object> second = waits.deliver(call(address), inbound);
        CompletableFuture<@Nullable Object> third = waits.deliver(call(address), inbound);
        await().atMost(Duration.ofSeconds(5)).until(third::isDone);
        assertThat(third).failsWithin(Duration.ZERO)
            .withThrowableOfType(java.util.concurrent.ExecutionException.class)
            .withCauseInstanceOf(MailboxFullException.class);
        assertThat(first).isNotDone();
        assertThat(second).isNotDone();
        assertThat(waits.size()).isEqualTo(2);
    }

    /**
     * A call that waited here for room and that the runtime then failed because its activation gate refused the
     * activation is told so, as one delivered at once is.
     */
    @Test
    void aCallThatWaitedForRoomIsToldRefusedByTheGateWhenTheRuntimeSaysSo() {
        MailboxWaits waits = new MailboxWaits(this.executor);
        CompletableFuture<@Nullable Object> refusal = new CompletableFuture<>();
        CompletableFuture<@Nullable Object> otherFailure = new CompletableFuture<>();
        FullMailbox inbound = new FullMailbox(2) {

            private int delivered;

            @Override
            public synchronized CompletableFuture<@Nullable Object> deliver(InboundCall call) {
                return (this.delivered++ == 0) ? refusal : otherFailure;
            }

            @Override
            public boolean refusedByGate(CompletableFuture<?> outcome) {
                return outcome == refusal;
            }
        };
        ActorAddress address = new ActorAddress("account", "acc-1");
        CompletableFuture<@Nullable Object> first = waits.deliver(call(address), inbound);
        CompletableFuture<@Nullable Object> second = waits.deliver(call(address), inbound);
        refusal.completeExceptionally(new IllegalStateException("refused"));
        otherFailure.completeExceptionally(new IllegalStateException("failed"));

        await().atMost(Duration.ofSeconds(5)).until(() -> first.isDone() && second.isDone());
        assertThat(MailboxWaits.refusedByGate(first, inbound)).isTrue();
        assertThat(MailboxWaits.refusedByGate(second, inbound)).isFalse();
        assertThat(MailboxWaits.refusedByGate(refusal, inbound)).as("a call delivered at once").isTrue();
    }

    @Test
    void theRuntimesInboundCallsTellItsConfiguredMailboxCapacity() {
        try (ActorRuntime runtime = ActorRuntime.builder().mailboxCapacity(3).build()) {
            assertThat(runtime.inbound().mailboxCapacity()).isEqualTo(3);
        }
    }

    private static InboundCall call(ActorAddress address) {
        return new InboundCall(address, 1, new Object[0], 1, null, Map.of(), System.currentTimeMillis() + 60_000);
    }

    /** An actor whose mailbox stays full: offers are refused and deliveries wait until the test ends. */
    private class FullMailbox implements InboundCalls {

        private final int capacity;

        FullMailbox(int capacity) {
            this.capacity = capacity;
        }

        @Override
        public int mailboxCapacity() {
            return this.capacity;
        }

        @Override
        public MethodDescriptor method(String typeName, int methodId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<@Nullable Object> deliver(InboundCall call) {
            try {
                MailboxWaitsTests.this.release.await(10, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            return new CompletableFuture<>();
        }

        @Override
        public @Nullable CompletableFuture<@Nullable Object> offer(InboundCall call) {
            return null;
        }
    }
}
