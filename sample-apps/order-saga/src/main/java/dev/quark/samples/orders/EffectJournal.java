package dev.quark.samples.orders;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.jspecify.annotations.Nullable;

import org.springframework.stereotype.Component;

/**
 * Where the toy services write down each effect they make, one line ({@code <effect> <key>}) per effect, when
 * {@code orders.effect-journal} names a file; otherwise nothing is written. Each line is written before the service
 * answers, with one {@code write} of its own, so it is there even when the JVM is killed right after: the process
 * tests read it to see that every step took effect at least once.
 */
@Component
public class EffectJournal {

    private final @Nullable Path file;

    /**
     * Creates the journal.
     * @param properties where it writes, if anywhere
     */
    public EffectJournal(OrderProperties properties) {
        this.file = properties.effectJournal();
    }

    /**
     * Writes down an effect.
     * @param effect what happened ({@code reserved}, {@code charged}, {@code shipped}, ...)
     * @param key the idempotency key it happened under
     */
    public synchronized void record(String effect, String key) {
        if (this.file == null) {
            return;
        }
        try {
            Files.writeString(this.file, effect + " " + key + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not write '" + effect + " " + key + "' to " + this.file, ex);
        }
    }
}
