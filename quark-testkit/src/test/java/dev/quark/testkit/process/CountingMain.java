package dev.quark.testkit.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The application {@link ClassDataCacheTests} packs in a jar of its own: it appends a line to the file its first
 * argument names every time it runs, training runs included, and exits with 3 when its second argument is
 * {@code fail}.
 */
public final class CountingMain {

    private CountingMain() {
    }

    /**
     * Counts the run.
     * @param args the file to count in, then {@code fail} for a run that fails
     * @throws IOException when the file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Files.writeString(Path.of(args[0]), "ran\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (args.length > 1 && args[1].equals("fail")) {
            System.exit(3);
        }
    }
}
