package dev.quark.durabletasks.store.jdbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ThrottledNoticeTests {

    private static final long MILLIS = 1_000_000;

    private final AtomicLong now = new AtomicLong(5 * MILLIS);

    private final AtomicInteger sent = new AtomicInteger();

    private final List<Long> delays = new ArrayList<>();

    private final List<Runnable> later = new ArrayList<>();

    private final ThrottledNotice notice = new ThrottledNotice(this.sent::incrementAndGet, Duration.ofMillis(250),
            this.now::get, (delay) -> (task) -> {
                this.delays.add(delay);
                this.later.add(task);
            });

    @Test
    void theFirstRequestSendsAtOnce() {
        this.notice.request();
        assertThat(this.sent).hasValue(1);
        assertThat(this.later).isEmpty();
    }

    @Test
    void requestsWithinTheIntervalSendOnceAtItsEnd() {
        this.notice.request();
        this.now.addAndGet(100 * MILLIS);
        for (int i = 0; i < 50; i++) {
            this.notice.request();
        }
        assertThat(this.sent).hasValue(1);
        assertThat(this.delays).containsExactly(150 * MILLIS);
        this.now.addAndGet(150 * MILLIS);
        this.later.remove(0).run();
        assertThat(this.sent).hasValue(2);
        assertThat(this.later).isEmpty();
    }

    @Test
    void aRequestAfterTheTrailingNoticeWaitsForAnIntervalFromIt() {
        this.notice.request();
        this.now.addAndGet(10 * MILLIS);
        this.notice.request();
        this.now.addAndGet(240 * MILLIS);
        this.later.remove(0).run();
        this.now.addAndGet(50 * MILLIS);
        this.notice.request();
        assertThat(this.sent).hasValue(2);
        assertThat(this.delays).containsExactly(240 * MILLIS, 200 * MILLIS);
    }

    @Test
    void aRequestAnIntervalAfterTheLastNoticeSendsAtOnce() {
        this.notice.request();
        this.now.addAndGet(250 * MILLIS);
        this.notice.request();
        assertThat(this.sent).hasValue(2);
        assertThat(this.later).isEmpty();
    }

    @Test
    void theIntervalMustBePositive() {
        assertThatIllegalArgumentException().isThrownBy(() -> new ThrottledNotice(() -> {
        }, Duration.ZERO)).withMessageContaining("PT0S");
    }

}
