package dev.quark.runtime.routing;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reference keeps where its actor lives while the locator's stamp of that answer is unchanged (in a cluster,
 * the membership view), and asks again as soon as it changes (issue 9: routed calls skip the ring lookup).
 */
class LocationStampTests {

    private final AtomicLong stamp = new AtomicLong(1);

    private final AtomicInteger asked = new AtomicInteger();

    private final AtomicReference<ActorLocation> answer = new AtomicReference<>(ActorLocation.LOCAL);

    private final List<String> sentTo = new CopyOnWriteArrayList<>();

    private final ActorLocator stamped = new ActorLocator() {

        @Override
        public ActorLocation locate(ActorAddress address) {
            LocationStampTests.this.asked.incrementAndGet();
            return LocationStampTests.this.answer.get();
        }

        @Override
        public long locationStamp(ActorAddress address) {
            return LocationStampTests.this.stamp.get();
        }
    };

    @AutoClose
    private ActorRuntime runtime = runtime(this.stamped);

    private ActorRuntime runtime(ActorLocator locator) {
        return ActorRuntime.builder()
            .actor(CounterActor.class)
            .actorLocator(locator)
            .remoteCallSender((silo, call) -> {
                this.sentTo.add(silo);
                return CompletableFuture.completedFuture(-1L);
            })
            .build();
    }

    @Test
    void repeatedCallsThroughOneReferenceAskTheLocatorOncePerStamp() {
        Counter counter = this.runtime.get(Counter.class, "kept");
        for (int i = 0; i < 5; i++) {
            counter.increment();
        }
        assertThat(this.asked).hasValue(1);

        this.stamp.set(2);
        assertThat(counter.increment()).isEqualTo(6);
        assertThat(counter.get()).isEqualTo(6);
        assertThat(this.asked).hasValue(2);

        assertThat(this.runtime.get(Counter.class, "kept").get()).isEqualTo(6);
        assertThat(this.asked).hasValue(3);
    }

    @Test
    void aChangedStampSendsTheNextCallWhereTheLocatorNowSays() {
        Counter counter = this.runtime.get(Counter.class, "moving");
        assertThat(counter.increment()).isEqualTo(1);

        this.answer.set(ActorLocation.remote("silo-b"));
        assertThat(counter.increment()).isEqualTo(2);
        assertThat(this.sentTo).isEmpty();

        this.stamp.set(2);
        assertThat(counter.increment()).isEqualTo(-1);
        assertThat(this.sentTo).containsExactly("silo-b");

        this.answer.set(ActorLocation.LOCAL);
        this.stamp.set(3);
        assertThat(counter.increment()).isEqualTo(3);
        assertThat(this.sentTo).containsExactly("silo-b");
    }

    @Test
    void aLocatorThatStampsNothingIsAskedOnEveryCall() {
        this.runtime.close();
        this.runtime = runtime((address) -> {
            this.asked.incrementAndGet();
            return ActorLocation.LOCAL;
        });
        Counter counter = this.runtime.get(Counter.class, "asked");
        for (int i = 0; i < 5; i++) {
            counter.increment();
        }
        assertThat(this.asked).hasValue(5);
    }
}
