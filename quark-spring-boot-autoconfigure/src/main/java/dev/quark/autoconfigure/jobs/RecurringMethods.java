package dev.quark.autoconfigure.jobs;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.quark.jobs.Recurring;
import dev.quark.jobs.runtime.RecurringMethodHandler;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.scope.ScopedProxyUtils;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Finds the bean methods marked {@link Recurring} and makes each a {@link RecurringMethodHandler}. Bean types are
 * read from their definitions, so no bean is created here (and none before its time): a job looks its bean up when
 * it runs and calls the method through the bean's proxies, as {@code @Scheduled} does. A bean whose declared type
 * does not show its methods is caught by {@link RecurringMethodsCheck} when it is created. The target bean of a scoped
 * proxy is skipped: its proxy's definition carries the methods once.
 */
final class RecurringMethods {

    private RecurringMethods() {
    }

    /**
     * Returns the handlers of every {@link Recurring} method of the factory's beans.
     * @param beanFactory the application's bean factory
     * @return one handler per method, in bean definition order
     * @throws IllegalArgumentException naming the method when one cannot be a job
     */
    static List<RecurringMethodHandler> find(ConfigurableListableBeanFactory beanFactory) {
        List<RecurringMethodHandler> handlers = new ArrayList<>();
        for (BeanMethod found : beanMethods(beanFactory)) {
            handlers.add(new RecurringMethodHandler(found.beanClass(), found.method(),
                    new BeanMethodInvoker(beanFactory, found.beanName())));
        }
        return handlers;
    }

    /**
     * Returns every {@link Recurring} method of the factory's beans, read from their definitions: the one walk that
     * both {@link #find} (the jobs that run) and the AOT hints ({@link JobHandlerRuntimeHintsAotProcessor}) use, so
     * that they see the same methods. Skipped: scoped-proxy targets (their proxy carries the methods), abstract and
     * infrastructure definitions, and beans whose type cannot be told without creating them.
     * @param beanFactory the application's bean factory
     * @return the methods with their beans, in bean definition order
     */
    static List<BeanMethod> beanMethods(ConfigurableListableBeanFactory beanFactory) {
        List<BeanMethod> found = new ArrayList<>();
        for (String name : beanFactory.getBeanDefinitionNames()) {
            if (ScopedProxyUtils.isScopedTarget(name) || beanFactory.getMergedBeanDefinition(name).isAbstract()
                    || beanFactory.getBeanDefinition(name).getRole() == BeanDefinition.ROLE_INFRASTRUCTURE) {
                continue;
            }
            Class<?> type = beanFactory.getType(name, false);
            if (type == null) {
                continue;
            }
            for (Method method : methodsOf(type)) {
                found.add(new BeanMethod(name, ClassUtils.getUserClass(type), method));
            }
        }
        return found;
    }

    /**
     * Returns the {@link Recurring} methods of a bean type.
     * @param type the bean's type
     * @return the methods, none when the type has none
     */
    static Set<Method> methodsOf(Class<?> type) {
        Class<?> userClass = ClassUtils.getUserClass(type);
        if (!AnnotationUtils.isCandidateClass(userClass, Recurring.class)) {
            return Set.of();
        }
        Map<Method, Boolean> methods = MethodIntrospector.selectMethods(userClass,
                (MethodIntrospector.MetadataLookup<Boolean>) (method) -> AnnotatedElementUtils
                    .hasAnnotation(method, Recurring.class)
                        || AnnotatedElementUtils.hasAnnotation(method, Recurring.List.class) ? Boolean.TRUE : null);
        return methods.keySet();
    }

    /**
     * A {@link Recurring} method of a bean.
     * @param beanName the bean's name
     * @param beanClass the bean's user class
     * @param method the method
     */
    record BeanMethod(String beanName, Class<?> beanClass, Method method) {
    }

    /** Calls a method on a bean looked up by name when a job runs. */
    private static final class BeanMethodInvoker implements RecurringMethodHandler.Invoker {

        private final BeanFactory beanFactory;

        private final String beanName;

        private volatile @Nullable Method invocable;

        BeanMethodInvoker(BeanFactory beanFactory, String beanName) {
            this.beanFactory = beanFactory;
            this.beanName = beanName;
        }

        @Override
        public void invoke(Method method, Object[] arguments) throws Exception {
            Object bean = this.beanFactory.getBean(this.beanName);
            Method target = this.invocable;
            if (target == null || !target.getDeclaringClass().isInstance(bean)) {
                target = AopUtils.selectInvocableMethod(method, bean.getClass());
                ReflectionUtils.makeAccessible(target);
                this.invocable = target;
            }
            try {
                target.invoke(bean, arguments);
            }
            catch (InvocationTargetException ex) {
                Throwable cause = ex.getCause();
                if (cause instanceof Exception exception) {
                    throw exception;
                }
                if (cause instanceof Error error) {
                    throw error;
                }
                throw ex;
            }
        }
    }
}
