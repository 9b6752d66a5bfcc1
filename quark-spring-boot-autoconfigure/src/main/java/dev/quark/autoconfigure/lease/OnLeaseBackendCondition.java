package dev.quark.autoconfigure.lease;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import dev.quark.autoconfigure.backend.BackendDependencies;
import dev.quark.autoconfigure.backend.BackendSelection;
import dev.quark.autoconfigure.backend.QuarkBackend;

import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.annotation.MergedAnnotation;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/**
 * The condition behind {@link ConditionalOnLeaseBackend}.
 */
class OnLeaseBackendCondition extends SpringBootCondition {

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        MergedAnnotation<ConditionalOnLeaseBackend> annotation = metadata.getAnnotations()
            .get(ConditionalOnLeaseBackend.class);
        QuarkBackend backend = annotation.getEnum("value", QuarkBackend.class);
        ConditionMessage.Builder message = ConditionMessage.forCondition(ConditionalOnLeaseBackend.class,
                "(" + backend.propertyValue() + ")");
        LeaseBackends backends = new LeaseBackends(context.getEnvironment(), context.getBeanFactory());
        List<BackendSelection> selections = backends.inUse();
        List<BackendSelection> matching = selections.stream().filter((selection) -> selection.backend() == backend).toList();
        if (matching.isEmpty()) {
            return ConditionOutcome.noMatch(message.because(describe(selections)));
        }
        // An area's own backend is checked by the area's conditions, which name the area; only an explicit
        // quark.leases.backend is the leases' own to check.
        BackendSelection explicit = backends.explicit();
        if (explicit != null) {
            ClassLoader classLoader = (context.getClassLoader() != null) ? context.getClassLoader()
                    : ClassUtils.getDefaultClassLoader();
            BackendDependencies.check(explicit, Objects.requireNonNull(classLoader), context.getEnvironment());
        }
        return ConditionOutcome.match(message.because(describe(matching)));
    }

    private static String describe(List<BackendSelection> selections) {
        return selections.stream()
            .map((selection) -> "leases on " + selection.setting())
            .distinct()
            .collect(Collectors.joining("; "));
    }
}
