package dev.quark.durabletasks.store;

import java.time.Instant;

import dev.quark.durabletasks.history.ExecutionStarted;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The orchestration version in the JSON of {@code ExecutionStarted}: written when set, and read as 0 from histories
 * recorded before it existed.
 */
class StoreJsonVersionTests {

    private static final Instant AT = Instant.parse("2026-03-01T12:00:00Z");

    @Test
    void aStartWithAVersionKeepsItThroughJson() {
        ExecutionStarted start = new ExecutionStarted(AT, "order", "\"card\"", null, 4);
        assertThat(StoreJson.write(start)).contains("\"version\":4");
        assertThat(StoreJson.readEvent(StoreJson.write(start))).isEqualTo(start);
    }

    @Test
    void aStartRecordedBeforeVersionsReadsAsVersionZero() {
        String old = "{\"type\":\"ExecutionStarted\",\"timestamp\":\"2026-03-01T12:00:00Z\",\"name\":\"order\"}";
        assertThat(StoreJson.readEvent(old)).isEqualTo(new ExecutionStarted(AT, "order", null, null, 0));
        assertThat(StoreJson.write(new ExecutionStarted(AT, "order", null, null))).doesNotContain("version");
    }
}
