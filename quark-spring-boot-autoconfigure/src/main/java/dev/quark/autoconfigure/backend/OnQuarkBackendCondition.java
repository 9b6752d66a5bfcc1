package dev.quark.autoconfigure.backend;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.annotation.MergedAnnotation;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/**
 * The condition behind {@link ConditionalOnQuarkBackend}.
 */
class OnQuarkBackendCondition extends SpringBootCondition {

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        MergedAnnotation<ConditionalOnQuarkBackend> annotation = metadata.getAnnotations()
            .get(ConditionalOnQuarkBackend.class);
        String area = annotation.getString("area");
        QuarkBackend backend = annotation.getEnum("backend", QuarkBackend.class);
        ConditionMessage.Builder message = ConditionMessage.forCondition(ConditionalOnQuarkBackend.class,
                "(area=" + area + ", backend=" + backend.propertyValue() + ")");
        List<BackendSelection> selections = new QuarkBackendResolver(context.getEnvironment()).resolveAll(area);
        List<BackendSelection> matching = selections.stream().filter((selection) -> selection.backend() == backend).toList();
        if (matching.isEmpty()) {
            return ConditionOutcome.noMatch(message.because(describe(selections)));
        }
        ClassLoader classLoader = (context.getClassLoader() != null) ? context.getClassLoader()
                : ClassUtils.getDefaultClassLoader();
        for (BackendSelection selection : matching) {
            BackendDependencies.check(selection, Objects.requireNonNull(classLoader), context.getEnvironment());
        }
        return ConditionOutcome.match(message.because(describe(matching)));
    }

    private static String describe(List<BackendSelection> selections) {
        return selections.stream()
            .map((selection) -> selection.user() + " uses " + selection.setting())
            .collect(Collectors.joining("; "));
    }
}
