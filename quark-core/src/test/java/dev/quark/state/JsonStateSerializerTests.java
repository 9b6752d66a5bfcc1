package dev.quark.state;

import java.lang.reflect.Type;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

class JsonStateSerializerTests {

    private final JsonStateSerializer serializer = new JsonStateSerializer();

    @Test
    void recordsAndGenericTypesRoundTrip() throws Exception {
        Type type = Holder.class.getDeclaredField("entries").getGenericType();
        List<Entry> entries = List.of(new Entry("a", Instant.parse("2026-01-02T03:04:05Z")));
        String json = this.serializer.serialize(entries, type);
        assertThat(json).isEqualTo("[{\"name\":\"a\",\"at\":\"2026-01-02T03:04:05Z\"}]");
        assertThat(this.serializer.deserialize(json, type)).isEqualTo(entries);
    }

    @Test
    void jsonNullIsNotAValue() {
        assertThatException().isThrownBy(() -> this.serializer.deserialize("null", Entry.class))
            .withMessageContaining("null");
    }

    record Entry(String name, Instant at) {
    }

    static class Holder {

        List<Entry> entries;
    }
}
