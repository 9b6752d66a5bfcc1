package dev.quark.autoconfigure.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.Set;

import dev.quark.autoconfigure.actors.ActorRuntimeHints;
import dev.quark.cluster.transport.jackson.ExceptionTypeContributor;
import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.TypeReference;
import org.springframework.util.ClassUtils;

/**
 * Native-image hints of the cluster's payload codec that do not depend on the application's actors, so that a
 * cluster client hosting none has them too: the public constructors of the JDK exceptions it rebuilds
 * ({@link ActorRuntimeHints#registerPayloadCodec}), the {@link ExceptionTypeContributor} service files the codec reads with {@link java.util.ServiceLoader}, and the
 * public constructors of the contributors they list (the service loader instantiates them reflectively). GraalVM's
 * own service-loader support usually finds both; these hints keep the contributors, and so the exceptions that
 * cross silos with their fields, when it does not. The exceptions themselves need none: the contributors build
 * them by calling their constructors and {@code crossedSilos} factories directly.
 */
class PayloadCodecRuntimeHints implements RuntimeHintsRegistrar {

    /** The service file of exception type contributors. */
    static final String SERVICES = "META-INF/services/" + ExceptionTypeContributor.class.getName();

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        ActorRuntimeHints.registerPayloadCodec(hints);
        hints.resources().registerPattern(SERVICES);
        ClassLoader loader = (classLoader != null) ? classLoader : ClassUtils.getDefaultClassLoader();
        if (loader == null) {
            return;
        }
        for (String contributor : contributorsListed(loader)) {
            hints.reflection().registerType(TypeReference.of(contributor), MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS);
        }
    }

    /** The class names the service files list, read as {@link java.util.ServiceLoader} reads them. */
    private static Set<String> contributorsListed(ClassLoader loader) {
        Set<String> names = new LinkedHashSet<>();
        try {
            Enumeration<URL> files = loader.getResources(SERVICES);
            while (files.hasMoreElements()) {
                URL file = files.nextElement();
                try (BufferedReader reader = new BufferedReader(
                        new InputStreamReader(file.openStream(), StandardCharsets.UTF_8))) {
                    reader.lines().map(PayloadCodecRuntimeHints::withoutComment).filter((name) -> !name.isEmpty())
                        .forEach(names::add);
                }
                catch (IOException ex) {
                    throw new IllegalStateException("Cannot read " + file + ": " + ex.getMessage(), ex);
                }
            }
        }
        catch (IOException ex) {
            throw new IllegalStateException("Cannot find the " + SERVICES + " files: " + ex.getMessage(), ex);
        }
        return names;
    }

    private static String withoutComment(String line) {
        int comment = line.indexOf('#');
        return ((comment < 0) ? line : line.substring(0, comment)).trim();
    }
}
