package dev.quark.autoconfigure.actors;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.quark.actor.QuarkActor;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.util.ClassUtils;

/**
 * Finds {@link QuarkActor} classes in the application's packages (those of its
 * {@code @SpringBootApplication} class, like entity scanning does) and registers each as a prototype bean,
 * so the runtime can create one instance per activation with constructor injection.
 * <p>
 * The definitions are not autowire candidates: injecting a contract type must never yield a raw
 * implementation instance instead of a reference. Classes that already have a bean definition are left
 * alone.
 */
class ActorBeanDefinitionRegistrar implements ImportBeanDefinitionRegistrar {

    private static final Log logger = LogFactory.getLog(ActorBeanDefinitionRegistrar.class);

    private final BeanFactory beanFactory;

    private final Environment environment;

    private final ResourceLoader resourceLoader;

    /**
     * Called by Spring, which passes these to the constructor of an {@code @Import}ed registrar.
     */
    ActorBeanDefinitionRegistrar(BeanFactory beanFactory, Environment environment, ResourceLoader resourceLoader) {
        this.beanFactory = beanFactory;
        this.environment = environment;
        this.resourceLoader = resourceLoader;
    }

    @Override
    public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
        if (!AutoConfigurationPackages.has(this.beanFactory)) {
            logger.debug("No auto-configuration package: @QuarkActor classes are not scanned");
            return;
        }
        List<String> packages = AutoConfigurationPackages.get(this.beanFactory);
        Set<String> registered = registeredClassNames(registry);
        ClassPathScanningCandidateComponentProvider scanner = new ClassPathScanningCandidateComponentProvider(false,
                this.environment);
        scanner.setResourceLoader(this.resourceLoader);
        scanner.addIncludeFilter(new AnnotationTypeFilter(QuarkActor.class));
        for (String basePackage : packages) {
            for (BeanDefinition candidate : scanner.findCandidateComponents(basePackage)) {
                String className = candidate.getBeanClassName();
                if (className != null && registered.add(className)) {
                    registry.registerBeanDefinition(className, actorDefinition(className));
                }
            }
        }
    }

    private RootBeanDefinition actorDefinition(String className) {
        Class<?> type = ClassUtils.resolveClassName(className, this.resourceLoader.getClassLoader());
        RootBeanDefinition definition = new RootBeanDefinition(type);
        definition.setScope(BeanDefinition.SCOPE_PROTOTYPE);
        definition.setAutowireCandidate(false);
        definition.setRole(BeanDefinition.ROLE_APPLICATION);
        return definition;
    }

    private static Set<String> registeredClassNames(BeanDefinitionRegistry registry) {
        Set<String> names = new HashSet<>();
        for (String beanName : registry.getBeanDefinitionNames()) {
            String className = registry.getBeanDefinition(beanName).getBeanClassName();
            if (className != null) {
                names.add(className);
            }
        }
        return names;
    }
}
