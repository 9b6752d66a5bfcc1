package dev.quark.testkit.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import dev.quark.testkit.process.ClassDataCache.Kind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link ClassDataCache} on a tiny application, {@link CountingMain} in a jar of its own, which counts its runs.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClassDataCacheTests {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private static final String MAIN = CountingMain.class.getName().replace('.', '/') + ".class";

    @TempDir
    Path folder;

    private Path jar;

    private Path runs;

    @BeforeEach
    void packTheApplication() throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, CountingMain.class.getName());
        this.jar = Files.createDirectories(this.folder.resolve("counting-extracted")).resolve("counting.jar");
        try (OutputStream file = Files.newOutputStream(this.jar);
                JarOutputStream jarFile = new JarOutputStream(file, manifest);
                InputStream main = CountingMain.class.getClassLoader().getResourceAsStream(MAIN)) {
            assertThat(main).as(MAIN).isNotNull();
            jarFile.putNextEntry(new JarEntry(MAIN));
            main.transferTo(jarFile);
            jarFile.closeEntry();
        }
        this.runs = this.folder.resolve("runs.txt");
    }

    @ParameterizedTest
    @EnumSource(names = { "AOT_CACHE", "CDS" })
    void trainsOnceThenEveryJvmOfTheJarMapsTheCache(Kind kind) throws Exception {
        assumeTrue(kind != Kind.AOT_CACHE || Runtime.version().feature() >= 25, "AOT caches need JDK 25");
        ClassDataCache cache = new ClassDataCache(this.jar, kind);
        List<String> options = cache.options(JAVA, ApplicationProcess.JVM_OPTIONS, List.of(this.runs.toString()));
        assertThat(cache.file()).isRegularFile();
        assertThat(options).singleElement().asString().endsWith("=" + cache.file());
        assertThat(runs()).isEqualTo(1);
        List<String> again = new ClassDataCache(this.jar, kind).options(JAVA, ApplicationProcess.JVM_OPTIONS,
                List.of(this.runs.toString()));
        assertThat(again).isEqualTo(options);
        assertThat(runs()).as("a cache that exists is not trained again").isEqualTo(1);
        String strict = (kind == Kind.AOT_CACHE) ? "-XX:AOTMode=on" : "-Xshare:on";
        assertThat(run(options, strict)).as("a JVM that must map the cache or fail runs").isZero();
        assertThat(runs()).isEqualTo(2);
        assertThat(leftovers()).as("no training folder stays").isEmpty();
    }

    @Test
    void aFailedTrainingCostsAWarningOnlyAndIsNotRepeated() throws Exception {
        ClassDataCache cache = new ClassDataCache(this.jar, Kind.chosen("auto"));
        List<String> arguments = List.of(this.runs.toString(), "fail");
        assertThat(cache.options(JAVA, ApplicationProcess.JVM_OPTIONS, arguments)).isEmpty();
        assertThat(cache.file()).doesNotExist();
        assertThat(cache.failureMarker()).content().contains("exited with 3", cache.trainingLog().toString());
        assertThat(cache.trainingLog()).content().contains("=== " + JAVA);
        assertThat(new ClassDataCache(this.jar, Kind.chosen("auto")).options(JAVA, ApplicationProcess.JVM_OPTIONS,
                arguments)).isEmpty();
        assertThat(runs()).as("a failed training is not repeated").isEqualTo(1);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aCacheTheJvmCannotUseCostsOnlyTheJvmsWarning() throws Exception {
        ClassDataCache cache = new ClassDataCache(this.jar, Kind.chosen("auto"));
        Files.write(cache.file(), new byte[4096]);
        List<String> options = cache.options(JAVA, ApplicationProcess.JVM_OPTIONS, List.of(this.runs.toString()));
        assertThat(options).isNotEmpty();
        assertThat(run(options)).isZero();
        assertThat(runs()).isEqualTo(1);
    }

    @Test
    void twoTestJvmsTrainingAtOnceLeaveOneWholeCache() throws Exception {
        Kind kind = Kind.CDS;
        List<CompletableFuture<List<String>>> trainings = Stream.of(1, 2)
            .map((i) -> CompletableFuture.supplyAsync(() -> new ClassDataCache(this.jar, kind).options(JAVA,
                    ApplicationProcess.JVM_OPTIONS, List.of(this.runs.toString()))))
            .toList();
        List<String> options = trainings.get(0).get(2, TimeUnit.MINUTES);
        assertThat(trainings.get(1).get(2, TimeUnit.MINUTES)).isEqualTo(options).isNotEmpty();
        assertThat(run(options, "-Xshare:on")).isZero();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void offNeedsNoTraining() {
        ClassDataCache cache = new ClassDataCache(this.jar, Kind.chosen("off"));
        assertThat(cache.options(JAVA, ApplicationProcess.JVM_OPTIONS, List.of(this.runs.toString()))).isEmpty();
        assertThat(this.runs).doesNotExist();
    }

    @Test
    void autoIsAnAotCacheFromJdk25AndAnUnknownKindIsRefused() {
        assertThat(Kind.chosen("auto")).isEqualTo((Runtime.version().feature() >= 25) ? Kind.AOT_CACHE : Kind.CDS);
        assertThatIllegalArgumentException().isThrownBy(() -> Kind.chosen("leyden"))
            .withMessageContaining(ClassDataCache.KIND_PROPERTY + "=leyden");
    }

    private int run(List<String> cacheOptions, String... more) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(ApplicationProcess.JVM_OPTIONS);
        command.addAll(cacheOptions);
        command.addAll(List.of(more));
        command.addAll(List.of("-jar", this.jar.toString(), this.runs.toString()));
        Path output = this.folder.resolve("run.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        assertThat(process.waitFor(1, TimeUnit.MINUTES)).isTrue();
        if (process.exitValue() != 0) {
            System.err.println(Files.readString(output, StandardCharsets.UTF_8));
        }
        return process.exitValue();
    }

    private long runs() throws IOException {
        return Files.exists(this.runs) ? Files.readAllLines(this.runs).size() : 0;
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(this.jar.getParent())) {
            return files.filter((file) -> file.getFileName().toString().contains("-training-")).toList();
        }
    }
}
