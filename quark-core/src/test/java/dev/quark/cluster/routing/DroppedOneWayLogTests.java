package dev.quark.cluster.routing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.quark.LogCapture;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The log of one-way calls a silo refused to send stays bounded however many are dropped: five at WARN, then
 * DEBUG lines counted at WARN once per summary interval.
 */
class DroppedOneWayLogTests {

    @Test
    void theFirstFiveDropsAreWarnedAndTheOthersCountedOncePerInterval() {
        Logger logger = LoggerFactory.getLogger(DroppedOneWayLogTests.class.getName() + ".drops");
        LogCapture logged = LogCapture.of(logger.getName(), Level.DEBUG);
        AtomicLong nanos = new AtomicLong();
        DroppedOneWayLog log = new DroppedOneWayLog(logger, "this silo refused to send", nanos::get,
                Duration.ofMinutes(1));

        for (int i = 0; i < 1_000; i++) {
            log.dropped("Tally/t" + i + ".addOneWay()", "silo-b", "metadata key ' ' is blank");
        }
        nanos.addAndGet(Duration.ofMinutes(1).toNanos());
        log.dropped("Tally/last.addOneWay()", "silo-b", "metadata key ' ' is blank");

        List<ILoggingEvent> warnings = logged.events()
            .stream()
            .filter((event) -> event.getLevel() == Level.WARN)
            .toList();
        assertThat(warnings).hasSize(6);
        assertThat(warnings.get(0).getFormattedMessage())
            .isEqualTo("Dropped one-way Tally/t0.addOneWay() to silo silo-b: metadata key ' ' is blank");
        assertThat(warnings.get(4).getFormattedMessage()).contains("further one-way calls dropped are logged at DEBUG");
        assertThat(warnings.get(5).getFormattedMessage())
            .isEqualTo("Dropped 996 more one-way calls this silo refused to send (logged at DEBUG)");
        assertThat(logged.events()).filteredOn((event) -> event.getLevel() == Level.DEBUG).hasSize(996);
        logged.close();
    }
}
