package dev.quark.lease.memory;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.lease.FencedRecords;
import dev.quark.testkit.lease.LeaseStoreContractTests;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class InMemoryLeaseStoreTests extends LeaseStoreContractTests {

    private final ManualClock clock = new ManualClock();

    private final InMemoryLeaseStore store = new InMemoryLeaseStore(this.clock);

    @Override
    protected LeaseStore store() {
        return this.store;
    }

    @Override
    protected Clock clock() {
        return this.clock;
    }

    @Override
    protected Duration shortDuration() {
        return Duration.ofSeconds(1);
    }

    @Override
    protected void awaitExpiry(Lease lease) {
        if (lease.validUntil().isAfter(this.clock.instant())) {
            this.clock.set(lease.validUntil());
        }
    }

    @Override
    protected FencedRecords fencedRecords() {
        return new MapRecords();
    }

    @Test
    void theInjectedClockDecidesExpiryToTheInstant() {
        String resource = newResource("job");
        Lease lease = this.store.tryAcquire(resource, OWNER, Duration.ofSeconds(10)).orElseThrow();
        this.clock.advance(Duration.ofSeconds(10).minusMillis(1));
        assertThat(this.store.holder(resource).orElseThrow().remaining()).isEqualTo(Duration.ofMillis(1));
        assertThat(this.store.tryAcquire(resource, OTHER, Duration.ofSeconds(10))).isEmpty();
        this.clock.advance(Duration.ofMillis(1));
        assertThat(this.store.holder(resource)).isEmpty();
        assertThat(this.store.renew(lease, Duration.ofSeconds(10))).isEmpty();
        assertThat(this.store.tryAcquire(resource, OTHER, Duration.ofSeconds(10))).isPresent();
    }

    @Test
    void validUntilIsExactlyTheClockPlusTheDurationInWholeMilliseconds() {
        Lease lease = this.store.tryAcquire(newResource("job"), OWNER, Duration.ofNanos(2_500_000)).orElseThrow();
        assertThat(lease.validUntil()).isEqualTo(this.clock.instant().plusMillis(2));
    }

    /**
     * What an area keeping its records in memory does: compare tokens atomically with the write.
     */
    private static final class MapRecords implements FencedRecords {

        private final Map<String, Row> rows = new ConcurrentHashMap<>();

        @Override
        public void create(String id, String value) {
            this.rows.put(id, new Row(0, value));
        }

        @Override
        public boolean stamp(String id, FencingToken token) {
            Row row = this.rows.computeIfPresent(id,
                    (key, current) -> (current.token() <= token.value()) ? new Row(token.value(), current.value()) : current);
            return row != null && row.token() == token.value();
        }

        @Override
        public boolean write(String id, FencingToken token, String value) {
            boolean[] written = new boolean[1];
            this.rows.computeIfPresent(id, (key, current) -> {
                written[0] = current.token() == token.value();
                return written[0] ? new Row(current.token(), value) : current;
            });
            return written[0];
        }

        @Override
        public String read(String id) {
            return Objects.requireNonNull(this.rows.get(id), id).value();
        }

        private record Row(long token, String value) {
        }
    }
}
